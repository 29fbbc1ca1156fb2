<?php
// Chat rooms over wsgate. Client messages (raw JSON text, or $_POST['message'] in form mode):
//   {"join":"room"}              -> joins (X-WS-Join), answers {"type":"joined",...}
//   {"leave":"room"}             -> leaves (X-WS-Leave)
//   {"room":"r","text":"hi"}     -> fans out to everyone in room r through the push API
//   /nick name                   -> binds the connection to a user name (X-WS-User)
// Close events (if the route sends them) tell the rooms the user left.
// Everything goes through the push API with PHP's http stream wrapper: no shell, ever.
declare(strict_types=1);

require_once __DIR__ . '/lib/WsGatePush.php';

const NAME_PATTERN = '/^[\p{L}\p{N}_.\-]{1,32}$/u';

function reply(array $data): void
{
    header('Content-Type: application/json');
    echo json_encode($data, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
}

function server(string $name): string
{
    $value = $_SERVER[$name] ?? getenv($name);
    return is_string($value) ? $value : '';
}

function push(): WsGatePush
{
    $url = server('WS_PUSH_URL');
    return new WsGatePush($url !== '' ? $url : 'http://127.0.0.1:8081', server('WS_PUSH_TOKEN') ?: null);
}

$event = server('WS_EVENT') ?: 'message';
$clientId = server('WS_CLIENT_ID');
$user = server('WS_USER');
$who = $user !== '' ? $user : 'guest-' . substr(hash('sha256', $clientId), 0, 6);
$groups = array_values(array_filter(array_map('trim', explode(',', server('WS_GROUPS')))));

if ($event === 'open') {
    reply(['type' => 'welcome', 'you' => $who,
           'help' => 'send {"join":"room"}, then {"room":"room","text":"hi"}; /nick name']);
    return;
}

if ($event === 'close') {
    $note = json_encode(['type' => 'left', 'user' => $who]);
    foreach ($groups as $room) {
        try {
            push()->sendToGroup($room, (string)$note);
        } catch (WsGatePushException $e) {
            error_log('chat: leave notice to ' . $room . ' failed: ' . $e->getErrorCode());
        }
    }
    return;
}

$contentType = server('CONTENT_TYPE');
$text = str_starts_with($contentType, 'application/x-www-form-urlencoded')
    ? (string)($_POST['message'] ?? '')
    : (string)file_get_contents('php://input');

if (str_starts_with($text, '/nick ')) {
    $nick = trim(substr($text, 6));
    if (!preg_match(NAME_PATTERN, $nick)) {
        reply(['type' => 'error', 'error' => 'bad_nick', 'message' => 'letters, digits, _ . - (max 32)']);
        return;
    }
    header('X-WS-User: ' . $nick);
    reply(['type' => 'nick', 'nick' => $nick]);
    return;
}

$msg = json_decode($text, true);
if (!is_array($msg)) {
    reply(['type' => 'error', 'error' => 'bad_message', 'message' => 'send JSON or /nick name']);
    return;
}

// Names go into headers: the pattern keeps out commas, CR and LF.
if (isset($msg['join'])) {
    $room = (string)$msg['join'];
    if (!preg_match(NAME_PATTERN, $room)) {
        reply(['type' => 'error', 'error' => 'bad_room']);
        return;
    }
    header('X-WS-Join: ' . $room);
    reply(['type' => 'joined', 'room' => $room, 'you' => $who]);
    return;
}

if (isset($msg['leave'])) {
    $room = (string)$msg['leave'];
    if (!preg_match(NAME_PATTERN, $room)) {
        reply(['type' => 'error', 'error' => 'bad_room']);
        return;
    }
    header('X-WS-Leave: ' . $room);
    reply(['type' => 'left', 'room' => $room, 'you' => $who]);
    return;
}

if (isset($msg['room'], $msg['text'])) {
    $room = (string)$msg['room'];
    if (!in_array($room, $groups, true)) {
        reply(['type' => 'error', 'error' => 'not_in_room', 'room' => $room]);
        return;
    }
    $out = json_encode(['type' => 'message', 'room' => $room, 'from' => $who,
                        'text' => (string)$msg['text']], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    try {
        $delivered = push()->sendToGroup($room, (string)$out);
        reply(['type' => 'sent', 'room' => $room, 'delivered' => $delivered]);
    } catch (WsGatePushException $e) {
        error_log('chat: push failed: ' . $e->getErrorCode() . ' ' . $e->getMessage());
        reply(['type' => 'error', 'error' => 'push_failed', 'code' => $e->getErrorCode()]);
    }
    return;
}

reply(['type' => 'error', 'error' => 'bad_message', 'message' => 'unknown command']);
