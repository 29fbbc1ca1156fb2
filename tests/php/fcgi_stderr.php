<?php
// error_log() must arrive as FastCGI STDERR (the pool sets no error_log file); a raw write to
// the worker's fd 2 (php://stderr; FPM has no STDERR constant) must not reach the reply body.
error_log('fcgi-error-log-line');
$err = fopen('php://stderr', 'w');
fwrite($err, "fcgi-stderr-line\n");
fclose($err);
echo 'body only';
