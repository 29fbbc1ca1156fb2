<?php
// Router for `php -S`: a stand-in for wsgate's push API, used by pushclient/ClientTest.php.
// Appends one JSON line per request (method, path, headers, body) to FAKE_PUSH_LOG and
// answers like the real API, with its trust rules in its order: a Host other than
// FAKE_PUSH_HOST is 421 misdirected_request, a request with an Origin or Sec-Fetch-Site (a
// browser's) 403 origin_not_allowed; FAKE_PUSH_TOKEN set: every call needs "Bearer <token>";
// a POST body that is not form-encoded or JSON is 415 unsupported_media_type.
// client_id / group "unknown" are unknown (404 unknown_client).
declare(strict_types=1);

$body = (string)file_get_contents('php://input');
$path = (string)parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
file_put_contents((string)getenv('FAKE_PUSH_LOG'), json_encode([
    'method' => $_SERVER['REQUEST_METHOD'],
    'path' => $path,
    'headers' => array_change_key_case(getallheaders(), CASE_LOWER),
    'body' => base64_encode($body),
]) . "\n", FILE_APPEND | LOCK_EX);

function answer(int $status, $data): void
{
    http_response_code($status);
    if (is_string($data)) {
        header('Content-Type: text/plain; charset=utf-8');
        echo $data;
        return;
    }
    header('Content-Type: application/json');
    echo json_encode($data);
}

$host = (string)getenv('FAKE_PUSH_HOST');
if ($host !== '' && ($_SERVER['HTTP_HOST'] ?? '') !== $host) {
    answer(421, ['error' => 'misdirected_request', 'message' => 'Host not served here']);
    return;
}
if (isset($_SERVER['HTTP_ORIGIN']) || isset($_SERVER['HTTP_SEC_FETCH_SITE'])) {
    answer(403, ['error' => 'origin_not_allowed', 'message' => 'browser requests are refused']);
    return;
}
$token = (string)getenv('FAKE_PUSH_TOKEN');
if ($token !== '' && ($_SERVER['HTTP_AUTHORIZATION'] ?? '') !== 'Bearer ' . $token) {
    answer(401, ['error' => 'unauthorized', 'message' => 'missing or wrong bearer token']);
    return;
}
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    answer(405, ['error' => 'method_not_allowed', 'message' => 'POST only']);
    return;
}
$type = $_SERVER['CONTENT_TYPE'] ?? '';
if (!str_starts_with($type, 'application/json')
    && !str_starts_with($type, 'application/x-www-form-urlencoded')) {
    answer(415, ['error' => 'unsupported_media_type', 'message' => 'form or JSON bodies only']);
    return;
}
if (str_starts_with($type, 'application/json')) {
    $fields = json_decode($body, true);
} else {
    parse_str($body, $fields);
}
if (!is_array($fields)) {
    answer(400, ['error' => 'bad_request', 'message' => 'unreadable body']);
    return;
}
$unknown = ($fields['client_id'] ?? '') === 'unknown';
switch ($path) {
case '/send':
    if (isset($fields['client_id'])) {
        $unknown ? answer(404, ['error' => 'unknown_client', 'message' => 'no such client'])
                 : answer(200, 'Message sent');
    } elseif (isset($fields['user'])) {
        answer(200, ['delivered' => 2]);
    } elseif (isset($fields['group'])) {
        answer(200, ['delivered' => 3]);
    } else {
        answer(400, ['error' => 'missing_target', 'message' => 'client_id, user or group']);
    }
    break;
case '/broadcast':
    answer(200, ['delivered' => 5]);
    break;
case '/close':
case '/join':
case '/leave':
    $unknown ? answer(404, ['error' => 'unknown_client', 'message' => 'no such client'])
             : answer(200, ['ok' => true]);
    break;
default:
    answer(404, ['error' => 'not_found', 'message' => 'no such endpoint']);
}
