<?php
// Handler for the browser end-to-end test (tests/e2e/browser.test.mjs), run by wsgated with
// --events open,message,close. Messages are JSON objects (a bare "whoami" is accepted too):
//   "whoami" / {"whoami":1}   -> {"you": "<client id>"}
//   {"join": "<room>"}         -> X-WS-Join: <room>, {"joined": "<room>", "you": "<client id>"}
//   {"say": "<text>"}          -> fans {"from": id, "room": r, "say": text} out to the room via the
//                                 push API (POST /send group=<room>), answers
//                                 {"pushed": <push API HTTP status>, "push": <its JSON answer>}
//   anything else              -> {"echo": <message>, "you": "<client id>"}
// On close, every room in WS_GROUPS gets {"left": "<client id>", "room": r, "code": <close code>}.
// The room for "say" is {"room": ...} if given, else "lobby". The push call is a plain HTTP POST
// through a stream context: never a shell command.

header('Content-Type: application/json');

$event = $_SERVER['WS_EVENT'] ?? '';
$id = $_SERVER['WS_CLIENT_ID'] ?? '';

function reply(array $body): void {
    echo json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
}

function valid_room($room): bool {
    return is_string($room) && preg_match('/^[A-Za-z0-9_.-]{1,64}$/', $room) === 1;
}

// POST form fields to the push API; returns [status, decoded JSON body or raw text].
function push(string $path, array $fields): array {
    $url = rtrim($_SERVER['WS_PUSH_URL'] ?? '', '/');
    if ($url === '')
        return [0, 'no WS_PUSH_URL'];
    $headers = "Content-Type: application/x-www-form-urlencoded\r\n";
    if (!empty($_SERVER['WS_PUSH_TOKEN']))
        $headers .= 'Authorization: Bearer ' . $_SERVER['WS_PUSH_TOKEN'] . "\r\n";
    $context = stream_context_create(['http' => [
        'method' => 'POST',
        'header' => $headers,
        'content' => http_build_query($fields),
        'timeout' => 5,
        'ignore_errors' => true, // read the JSON error body of a 4xx/5xx too
    ]]);
    $body = @file_get_contents($url . $path, false, $context);
    $status = 0;
    foreach ($http_response_header ?? [] as $line) {
        if (preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $m))
            $status = (int)$m[1];
    }
    if ($body === false) {
        error_log("e2e_chat: push $path failed");
        return [$status, null];
    }
    $json = json_decode($body, true);
    return [$status, $json ?? $body];
}

if ($event === 'open') {
    // Accept every connection; saying nothing keeps the greeting out of the tests' way.
    http_response_code(200);
    exit;
}

if ($event === 'close') {
    // Tell the rooms this client was in (WS_GROUPS: comma list) that it left, with its close code.
    $code = (int)($_SERVER['WS_CLOSE_CODE'] ?? 0);
    foreach (array_filter(explode(',', $_SERVER['WS_GROUPS'] ?? ''), 'valid_room') as $room) {
        $out = json_encode(['left' => $id, 'room' => $room, 'code' => $code], JSON_UNESCAPED_SLASHES);
        push('/send', ['group' => $room, 'message' => $out]);
    }
    exit;
}

$raw = file_get_contents('php://input');
$msg = json_decode($raw, true);
if (trim($raw) === 'whoami')
    $msg = ['whoami' => 1];

if (!is_array($msg)) {
    reply(['echo' => $raw, 'you' => $id]);
    exit;
}

if (isset($msg['whoami'])) {
    reply(['you' => $id]);
} elseif (isset($msg['join'])) {
    if (!valid_room($msg['join'])) {
        reply(['error' => 'bad_room']);
        exit;
    }
    header('X-WS-Join: ' . $msg['join']);
    reply(['joined' => $msg['join'], 'you' => $id]);
} elseif (isset($msg['say'])) {
    $room = $msg['room'] ?? 'lobby';
    if (!valid_room($room) || !is_string($msg['say'])) {
        reply(['error' => 'bad_say']);
        exit;
    }
    $out = json_encode(['from' => $id, 'room' => $room, 'say' => $msg['say']],
                       JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    [$status, $answer] = push('/send', ['group' => $room, 'message' => $out]);
    reply(['pushed' => $status, 'push' => $answer]);
} else {
    reply(['echo' => $msg, 'you' => $id]);
}
