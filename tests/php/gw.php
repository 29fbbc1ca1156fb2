<?php
// Test handler for the gateway integration tests: the message says what to do.
$event = $_SERVER['WS_EVENT'] ?? '';
if ($event === 'open') {
    if (isset($_GET['deny'])) {
        http_response_code((int)$_GET['deny']);
        header('Content-Type: text/plain');
        echo "denied by PHP";
        exit;
    }
    if (isset($_GET['needauth'])) {
        session_save_path(sys_get_temp_dir());
        session_start();
        if (empty($_SESSION['user'])) {
            http_response_code(401);
            echo "login first";
            exit;
        }
        header('X-WS-User: ' . $_SESSION['user']);
    }
    if (isset($_GET['welcome'])) {
        echo "welcome";
    }
    if (isset($_GET['group'])) {
        header('X-WS-Join: ' . $_GET['group']);
    }
    exit;
}
if ($event === 'close') {
    if (isset($_GET['log'])) {
        file_put_contents($_GET['log'], json_encode([
            'code' => $_SERVER['WS_CLOSE_CODE'] ?? null,
            'reason' => $_SERVER['WS_CLOSE_REASON'] ?? null,
            'client' => $_SERVER['WS_CLIENT_ID'] ?? null,
            'user' => $_SERVER['WS_USER'] ?? null,
        ]));
    }
    exit;
}

$body = file_get_contents('php://input');
if (($_SERVER['CONTENT_TYPE'] ?? '') === 'application/x-www-form-urlencoded') {
    $body = $_POST['message'] ?? '';
}
if (($_SERVER['WS_MESSAGE_TYPE'] ?? '') === 'binary') {
    header('Content-Type: application/octet-stream');
    echo $body;
    exit;
}
[$cmd, $arg] = array_pad(explode(':', $body, 2), 2, '');
switch ($cmd) {
    case 'params':
        header('Content-Type: application/json');
        echo json_encode([
            'server' => array_filter($_SERVER, fn($k) => !in_array($k, ['argv', 'argc']), ARRAY_FILTER_USE_KEY),
            'headers' => getallheaders(),
            'get' => $_GET,
            'post' => $_POST,
            'cookie' => $_COOKIE,
        ]);
        break;
    case 'stderr':
        error_log($arg);
        file_put_contents('php://stderr', "direct " . $arg . "\n");
        echo "ok";
        break;
    case 'status':
        http_response_code((int)$arg);
        echo "failing on purpose";
        break;
    case 'sleep':
        usleep((int)$arg * 1000);
        echo "slept $arg";
        break;
    case 'user':
        header('X-WS-User: ' . $arg);
        echo "user $arg";
        break;
    case 'join':
        header('X-WS-Join: ' . $arg);
        echo "joined $arg";
        break;
    case 'leave':
        header('X-WS-Leave: ' . $arg);
        echo "left $arg";
        break;
    case 'close':
        header('X-WS-Close: ' . $arg);
        echo "bye";
        break;
    case 'whoami':
        echo json_encode(['id' => $_SERVER['WS_CLIENT_ID'], 'user' => $_SERVER['WS_USER'],
                          'groups' => $_SERVER['WS_GROUPS']]);
        break;
    case 'empty':
        break;
    case 'login':
        session_save_path(sys_get_temp_dir());
        session_start();
        $_SESSION['user'] = $arg;
        echo session_id();
        break;
    default:
        echo $body;
}
