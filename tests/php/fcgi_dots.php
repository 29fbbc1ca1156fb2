<?php
// Prints a dot a second for ?seconds=N seconds (default 30), each flushed at once: a handler that
// always makes progress and never finishes in time.
while (ob_get_level() > 0) {
    ob_end_flush();
}
header('Content-Type: text/plain');
$n = (int)($_GET['seconds'] ?? 30);
for ($i = 0; $i < $n; $i++) {
    echo '.';
    flush();
    sleep(1);
}
echo "done\n";
