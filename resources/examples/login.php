<?php
// Demo login for auth.php: POST or GET user=<name> sets the session; logout=1 ends it.
// A real application logs users in its own way; auth.php only needs $_SESSION['user'].
declare(strict_types=1);

require_once __DIR__ . '/lib/session.php';

wsgate_session_start(false);
header('Content-Type: application/json');

if (isset($_REQUEST['logout'])) {
    $_SESSION = [];
    session_destroy();
    echo json_encode(['user' => null]);
    return;
}

$user = (string)($_POST['user'] ?? $_GET['user'] ?? '');
if (!preg_match('/^[\p{L}\p{N}_.@\-]{1,64}$/u', $user)) {
    http_response_code(400);
    echo json_encode(['error' => 'bad_user']);
    return;
}
session_regenerate_id(true); // a new id at login: no session fixation
$_SESSION['user'] = $user;
echo json_encode(['user' => $user, 'session_name' => session_name(), 'session_id' => session_id()]);
