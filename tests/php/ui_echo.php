<?php
// Handler for the console's UI tests and screenshots: echoes, writes to STDERR, binds users
// and groups on request.
$body = file_get_contents('php://input');
error_log('ui_echo: ' . strlen($body) . ' bytes from ' . ($_SERVER['WS_CLIENT_ID'] ?? '?'));
if (($_SERVER['WS_MESSAGE_TYPE'] ?? '') === 'binary') {
    header('Content-Type: application/octet-stream');
    echo strrev($body);
    exit;
}
[$cmd, $arg] = array_pad(explode(':', $body, 2), 2, '');
switch ($cmd) {
    case 'user':
        header('X-WS-User: ' . $arg);
        echo json_encode(['user' => $arg]);
        break;
    case 'join':
        header('X-WS-Join: ' . $arg);
        echo json_encode(['joined' => $arg]);
        break;
    case 'fail':
        http_response_code(500);
        echo 'failing on purpose';
        break;
    case 'warn':
        trigger_error('a PHP warning for the log', E_USER_WARNING);
        echo 'warned';
        break;
    default:
        header('Content-Type: application/json');
        echo json_encode(['echo' => $body, 'time' => microtime(true),
                          'groups' => $_SERVER['WS_GROUPS'] ?? '']);
}
