<?php
// Prints ?mib=N MiB (default 16) of a repeating pattern, in 64 KiB writes.
header('Content-Type: application/octet-stream');
$chunk = str_repeat('0123456789abcdef', 4096);
$n = ((int)($_GET['mib'] ?? 16)) * 16;
for ($i = 0; $i < $n; $i++) {
    echo $chunk;
}
