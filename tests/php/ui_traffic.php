<?php
// Handler for the console's traffic tests: says what PHP got ($_SERVER) and produces the
// STDERR, statuses and control headers the traffic view has to show.
$body = file_get_contents('php://input');
$event = $_SERVER['WS_EVENT'] ?? '';
if ($event !== 'message') {
    exit; // open and close events: accept, say nothing
}
[$cmd, $arg] = array_pad(explode(':', $body, 2), 2, '');
$said = [
    'body' => $body,
    'replay' => $_SERVER['WS_REPLAY'] ?? '',
    'user' => $_SERVER['WS_USER'] ?? '',
    'groups' => $_SERVER['WS_GROUPS'] ?? '',
    'xdebug' => $_SERVER['XDEBUG_TRIGGER'] ?? '',
    'client' => $_SERVER['WS_CLIENT_ID'] ?? '',
];
switch ($cmd) {
    case 'warn': // a 200 that went well for the gateway, with a warning and a notice
        trigger_error('a PHP warning for the log', E_USER_WARNING);
        trigger_error('a PHP notice for the log', E_USER_NOTICE);
        break;
    case 'multi': // five messages of four kinds in one STDERR stream
        error_log('first plain line');
        trigger_error('watch out', E_USER_WARNING);
        trigger_error('old style', E_USER_DEPRECATED);
        trigger_error('for your information', E_USER_NOTICE);
        error_log("second plain line\nwith a second line");
        break;
    case 'fail': // a 500 with its reason in STDERR
        error_log('about to fail');
        trigger_error('cannot go on', E_USER_WARNING);
        http_response_code(500);
        echo 'failing on purpose';
        exit;
    case 'quietfail': // a 500 with nothing in STDERR
        http_response_code(500);
        echo 'failing quietly';
        exit;
    case 'join':
        header('X-WS-Join: ' . $arg);
        break;
    case 'user':
        header('X-WS-User: ' . $arg);
        break;
}
header('Content-Type: application/json');
echo json_encode($said);
