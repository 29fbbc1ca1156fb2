<?php
// Sends control headers, three body bytes and a STDERR line, then hangs for ?seconds=N (default
// 30): a reply that stops part-way through STDOUT.
while (ob_get_level() > 0) {
    ob_end_flush();
}
header('X-WS-User: alice');
header('X-WS-Join: room1');
error_log('partial-stderr-line');
echo 'abc';
flush();
sleep((int)($_GET['seconds'] ?? 30));
echo "late\n";
