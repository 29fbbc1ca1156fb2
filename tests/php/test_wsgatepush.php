<?php
// Tests resources/examples/lib/WsGatePush.php against fake_push_router.php run by `php -S`.
// Run: php tests/php/test_wsgatepush.php   (last line: "N passed, N failed"; exit 1 on failure)
declare(strict_types=1);

require_once __DIR__ . '/../../resources/examples/lib/WsGatePush.php';

const TOKEN = 's3cret';
$passed = 0;
$failed = 0;

function check(string $name, bool $ok, string $detail = ''): void
{
    global $passed, $failed;
    if ($ok) {
        $passed++;
    } else {
        $failed++;
        echo "FAIL: $name" . ($detail !== '' ? " ($detail)" : '') . "\n";
    }
}

function freePort(): int
{
    $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
    if ($server === false) {
        throw new RuntimeException("no free port: $errstr");
    }
    $name = stream_socket_get_name($server, false);
    fclose($server);
    return (int)substr($name, strrpos($name, ':') + 1);
}

/** Starts php -S with the fake router (array command: no shell); returns [process, port]. */
function startServer(string $log, string $token): array
{
    $port = freePort();
    $env = ['FAKE_PUSH_LOG' => $log, 'FAKE_PUSH_TOKEN' => $token, 'PATH' => getenv('PATH') ?: ''];
    $process = proc_open([PHP_BINARY, '-n', '-S', "127.0.0.1:$port", __DIR__ . '/fake_push_router.php'],
        [0 => ['pipe', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']],
        $pipes, __DIR__, $env);
    if (!is_resource($process)) {
        throw new RuntimeException('cannot start php -S');
    }
    for ($i = 0; $i < 200; $i++) { // up to 10 s
        $socket = @fsockopen('127.0.0.1', $port, $errno, $errstr, 0.2);
        if ($socket !== false) {
            fclose($socket);
            return [$process, $port];
        }
        usleep(50000);
    }
    proc_terminate($process);
    throw new RuntimeException('php -S did not start listening');
}

function requests(string $log): array
{
    $lines = is_file($log) ? file($log, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) : [];
    file_put_contents($log, '');
    return array_map(fn ($l) => json_decode($l, true), $lines);
}

/** Exactly one request was made, with this path, content type and decoded fields. */
function checkRequest(string $name, array $reqs, string $path, string $type, array $fields,
                      ?string $auth): void
{
    check("$name: one request", count($reqs) === 1, 'got ' . count($reqs));
    if (count($reqs) !== 1) {
        return;
    }
    $r = $reqs[0];
    $body = base64_decode($r['body']);
    check("$name: POST", $r['method'] === 'POST', $r['method']);
    check("$name: path", $r['path'] === $path, $r['path']);
    check("$name: content type", ($r['headers']['content-type'] ?? '') === $type,
          $r['headers']['content-type'] ?? '');
    check("$name: authorization", ($r['headers']['authorization'] ?? null) === $auth,
          (string)($r['headers']['authorization'] ?? 'none'));
    if ($type === 'application/json') {
        $got = json_decode($body, true);
    } else {
        parse_str($body, $got);
    }
    check("$name: fields", $got === $fields, $body);
}

function expectError(string $name, callable $call, string $code, int $status): void
{
    try {
        $call();
        check("$name: throws", false, 'no exception');
    } catch (WsGatePushException $e) {
        check("$name: error code", $e->getErrorCode() === $code, $e->getErrorCode());
        check("$name: http status", $e->getCode() === $status, (string)$e->getCode());
        check("$name: message", $e->getMessage() !== '');
    }
}

$log = tempnam(sys_get_temp_dir(), 'wsgatepush');
[$server, $port] = startServer($log, TOKEN);
$url = "http://127.0.0.1:$port";
$push = new WsGatePush($url, TOKEN, 5.0);
$bearer = 'Bearer ' . TOKEN;
$json = 'application/json';
$form = 'application/x-www-form-urlencoded';

try {
    check('send returns 1', $push->send('abc123', 'hi "there" ünï') === 1);
    checkRequest('send', requests($log), '/send', $json,
                 ['client_id' => 'abc123', 'message' => 'hi "there" ünï'], $bearer);

    $bytes = "\x00\xff\x80binary\r\n&=";
    check('send binary returns 1', $push->send('abc123', $bytes, true) === 1);
    checkRequest('send binary', requests($log), '/send', $form,
                 ['client_id' => 'abc123', 'message' => $bytes, 'binary' => '1'], $bearer);

    check('send invalid utf-8 text', $push->send('abc123', "caf\xe9") === 1);
    checkRequest('send invalid utf-8 text', requests($log), '/send', $form,
                 ['client_id' => 'abc123', 'message' => "caf\xe9"], $bearer);

    check('sendToUser delivered', $push->sendToUser('alice', 'yo') === 2);
    checkRequest('sendToUser', requests($log), '/send', $json,
                 ['user' => 'alice', 'message' => 'yo'], $bearer);

    check('sendToGroup delivered', $push->sendToGroup('room-1', '{"a":1}') === 3);
    checkRequest('sendToGroup', requests($log), '/send', $json,
                 ['group' => 'room-1', 'message' => '{"a":1}'], $bearer);

    check('broadcast delivered', $push->broadcast('all') === 5);
    checkRequest('broadcast', requests($log), '/broadcast', $json, ['message' => 'all'], $bearer);

    check('close ok', $push->close('abc123', 4001, 'bye now') === ['ok' => true]);
    checkRequest('close', requests($log), '/close', $json,
                 ['client_id' => 'abc123', 'code' => 4001, 'reason' => 'bye now'], $bearer);

    check('close defaults', $push->close('abc123') === ['ok' => true]);
    checkRequest('close defaults', requests($log), '/close', $json,
                 ['client_id' => 'abc123', 'code' => 1000, 'reason' => ''], $bearer);

    check('join ok', $push->join('abc123', 'room-1') === ['ok' => true]);
    checkRequest('join', requests($log), '/join', $json,
                 ['client_id' => 'abc123', 'group' => 'room-1'], $bearer);

    check('leave ok', $push->leave('abc123', 'room-1') === ['ok' => true]);
    checkRequest('leave', requests($log), '/leave', $json,
                 ['client_id' => 'abc123', 'group' => 'room-1'], $bearer);

    expectError('send to unknown client', fn () => $push->send('unknown', 'x'), 'unknown_client', 404);
    expectError('close unknown client', fn () => $push->close('unknown'), 'unknown_client', 404);
    expectError('join unknown client', fn () => $push->join('unknown', 'g'), 'unknown_client', 404);
    requests($log);

    $noToken = new WsGatePush($url);
    expectError('no token', fn () => $noToken->broadcast('x'), 'unauthorized', 401);
    $reqs = requests($log);
    check('no token: no authorization header', !isset($reqs[0]['headers']['authorization']));
    $wrong = new WsGatePush($url . '/', 'wrong');
    expectError('wrong token', fn () => $wrong->send('abc123', 'x'), 'unauthorized', 401);
    requests($log);

    $closed = freePort();
    $down = new WsGatePush("http://127.0.0.1:$closed", null, 1.0);
    expectError('gateway down', fn () => $down->broadcast('x'), 'unreachable', 0);
} catch (Throwable $e) {
    check('unexpected exception', false, get_class($e) . ': ' . $e->getMessage());
} finally {
    proc_terminate($server);
    proc_close($server);
    @unlink($log);
}

echo "$passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
