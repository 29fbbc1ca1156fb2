<?php
// Echoes the request body; a few server vars go back as headers for the FastCGI pool tests.
header('Content-Type: application/octet-stream');
header('X-Method: ' . ($_SERVER['REQUEST_METHOD'] ?? ''));
header('X-Content-Length: ' . ($_SERVER['CONTENT_LENGTH'] ?? ''));
header('X-WS-Event: ' . ($_SERVER['WS_EVENT'] ?? ''));
header('X-Body-Md5: ' . md5_file('php://input'));
if (isset($_GET['sleep_ms'])) {
    usleep((int)$_GET['sleep_ms'] * 1000);
}
$in = fopen('php://input', 'rb');
$out = fopen('php://output', 'wb');
stream_copy_to_stream($in, $out);
