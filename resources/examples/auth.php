<?php
// Only logged-in users may connect: route this with the "open" event enabled.
// On open, the PHP session from the handshake's cookie decides: 401 refuses the upgrade,
// 2xx accepts it and binds the connection to the user (X-WS-User).
declare(strict_types=1);

require_once __DIR__ . '/lib/session.php';

wsgate_session_start(true);
$user = $_SESSION['user'] ?? null;
$event = $_SERVER['WS_EVENT'] ?? 'message';

if (!is_string($user) || $user === '') {
    http_response_code(401);
    header('Content-Type: text/plain; charset=utf-8');
    echo "login required\n";
    return;
}

if ($event === 'open') {
    header('X-WS-User: ' . preg_replace('/[^\p{L}\p{N}_.@\-]/u', '', $user));
    return; // empty 2xx: accepted, nothing sent
}

if ($event === 'message') {
    $message = str_starts_with($_SERVER['CONTENT_TYPE'] ?? '', 'application/x-www-form-urlencoded')
        ? (string)($_POST['message'] ?? '')
        : (string)file_get_contents('php://input');
    header('Content-Type: text/plain; charset=utf-8');
    echo "hello $user, you said: $message";
}
