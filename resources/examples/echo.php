<?php
// Echo handler for wsgate: sends every message back to its sender.
//   raw mode (default): the message is the request body, as it came;
//   form mode (the Go gateway's style): the message is $_POST['message'].
// Binary messages come back binary (WS_MESSAGE_TYPE=binary -> application/octet-stream).
declare(strict_types=1);

if (($_SERVER['WS_EVENT'] ?? 'message') !== 'message') {
    return; // open: an empty 2xx accepts the connection; close: nothing to say
}

$contentType = $_SERVER['CONTENT_TYPE'] ?? '';
if (str_starts_with($contentType, 'application/x-www-form-urlencoded')) {
    $message = (string)($_POST['message'] ?? '');
} else {
    $message = (string)file_get_contents('php://input');
}

if (($_SERVER['WS_MESSAGE_TYPE'] ?? 'text') === 'binary') {
    header('Content-Type: application/octet-stream');
} else {
    header('Content-Type: text/plain; charset=utf-8');
}
echo $message;
