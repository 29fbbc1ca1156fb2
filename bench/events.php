<?php
// Benchmark handler with open events (--events open,message): ?user= and ?group= name the
// client's user and group, ?welcome=1 sends "id=<client id>" as its first message (wsreceive
// collects them for pushload); messages are echoed back unchanged.
if (($_SERVER['WS_EVENT'] ?? '') === 'open') {
    if (isset($_GET['user'])) {
        header('X-WS-User: ' . $_GET['user']);
    }
    if (isset($_GET['group'])) {
        header('X-WS-Join: ' . $_GET['group']);
    }
    if (isset($_GET['welcome'])) {
        echo 'id=' . $_SERVER['WS_CLIENT_ID'];
    }
    exit;
}
echo file_get_contents('php://input');
