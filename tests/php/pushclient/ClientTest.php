<?php
// The push client against fake_push_router.php under `php -S`: what each call sends (method,
// path, body type and fields, token) and the push API's trust rules from the client's side
// (a Content-Type the API takes, the Host of the URL, no Origin), and how answers and errors
// come back.
declare(strict_types=1);

namespace WsGate\Push\Tests;

use PHPUnit\Framework\TestCase;
use WsGate\Push\Client;
use WsGate\Push\PushException;

final class ClientTest extends TestCase
{
    private const TOKEN = 's3cret';
    private const JSON = 'application/json';
    private const FORM = 'application/x-www-form-urlencoded';

    private static ?PhpProcess $server = null;
    private static string $requestLog = '';

    public static function setUpBeforeClass(): void
    {
        self::$requestLog = (string)tempnam(sys_get_temp_dir(), 'pushclient-requests');
        $port = PhpProcess::freePort();
        self::$server = new PhpProcess(
            [PHP_BINARY, '-n', '-S', "127.0.0.1:$port", __DIR__ . '/../fake_push_router.php'],
            $port,
            ['FAKE_PUSH_LOG' => self::$requestLog, 'FAKE_PUSH_TOKEN' => self::TOKEN,
             'FAKE_PUSH_HOST' => "127.0.0.1:$port"]);
    }

    public static function tearDownAfterClass(): void
    {
        self::$server?->stop();
        self::$server = null;
        @unlink(self::$requestLog);
    }

    protected function setUp(): void
    {
        $this->requests(); // start each test with an empty log
    }

    private function url(): string
    {
        return 'http://127.0.0.1:' . self::$server->port;
    }

    private function client(?string $token = self::TOKEN, string $suffix = ''): Client
    {
        return new Client($this->url() . $suffix, $token, 5.0);
    }

    /** The requests the fake saw since the last call, decoded; empties the log. */
    private function requests(): array
    {
        $lines = file(self::$requestLog, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [];
        file_put_contents(self::$requestLog, '');
        return array_map(static fn (string $l): array => json_decode($l, true, 512,
                                                                     JSON_THROW_ON_ERROR), $lines);
    }

    /** Exactly one request, as the push API wants it, with this path, type and fields. */
    private function assertOneRequest(string $path, string $type, array $fields,
                                      ?string $token = self::TOKEN): void
    {
        $requests = $this->requests();
        $this->assertCount(1, $requests);
        $r = $requests[0];
        $headers = $r['headers'];
        $body = base64_decode($r['body'], true);
        $this->assertSame('POST', $r['method']);
        $this->assertSame($path, $r['path']);
        $this->assertSame($type, $headers['content-type'] ?? null, 'Content-Type');
        $this->assertSame((string)strlen($body), $headers['content-length'] ?? null);
        $this->assertSame($token === null ? null : "Bearer $token",
                          $headers['authorization'] ?? null);
        // The push API's trust rules: its own address as Host, nothing of a browser's.
        $this->assertSame('127.0.0.1:' . self::$server->port, $headers['host'] ?? null, 'Host');
        $this->assertArrayNotHasKey('origin', $headers);
        $this->assertArrayNotHasKey('sec-fetch-site', $headers);
        $this->assertArrayNotHasKey('sec-fetch-mode', $headers);
        $this->assertArrayNotHasKey('cookie', $headers);
        if ($type === self::JSON) {
            $got = json_decode($body, true, 512, JSON_THROW_ON_ERROR);
        } else {
            parse_str($body, $got);
        }
        $this->assertSame($fields, $got, $body);
    }

    public function callProvider(): array
    {
        $bytes = "\x00\xff\x80binary\r\n&=";
        return [
            'send: text as JSON' => [
                fn (Client $c) => $c->send('abc123', 'hi "there" ünï'), 1,
                '/send', self::JSON, ['client_id' => 'abc123', 'message' => 'hi "there" ünï']],
            'send: binary form-encoded with binary=1' => [
                fn (Client $c) => $c->send('abc123', $bytes, true), 1,
                '/send', self::FORM, ['client_id' => 'abc123', 'message' => $bytes, 'binary' => '1']],
            'send: text that is not UTF-8 form-encoded, as text' => [
                fn (Client $c) => $c->send('abc123', "caf\xe9"), 1,
                '/send', self::FORM, ['client_id' => 'abc123', 'message' => "caf\xe9"]],
            'sendToUser: the delivered count' => [
                fn (Client $c) => $c->sendToUser('alice', 'yo'), 2,
                '/send', self::JSON, ['user' => 'alice', 'message' => 'yo']],
            'sendToGroup: the delivered count' => [
                fn (Client $c) => $c->sendToGroup('room-1', '{"a":1}'), 3,
                '/send', self::JSON, ['group' => 'room-1', 'message' => '{"a":1}']],
            'broadcast: the delivered count' => [
                fn (Client $c) => $c->broadcast('all'), 5,
                '/broadcast', self::JSON, ['message' => 'all']],
            'broadcast: binary' => [
                fn (Client $c) => $c->broadcast($bytes, true), 5,
                '/broadcast', self::FORM, ['message' => $bytes, 'binary' => '1']],
            'close: code and reason' => [
                fn (Client $c) => $c->close('abc123', 4001, 'bye now'), ['ok' => true],
                '/close', self::JSON, ['client_id' => 'abc123', 'code' => 4001, 'reason' => 'bye now']],
            'close: defaults 1000 and no reason' => [
                fn (Client $c) => $c->close('abc123'), ['ok' => true],
                '/close', self::JSON, ['client_id' => 'abc123', 'code' => 1000, 'reason' => '']],
            'join' => [
                fn (Client $c) => $c->join('abc123', 'room-1'), ['ok' => true],
                '/join', self::JSON, ['client_id' => 'abc123', 'group' => 'room-1']],
            'leave' => [
                fn (Client $c) => $c->leave('abc123', 'room-1'), ['ok' => true],
                '/leave', self::JSON, ['client_id' => 'abc123', 'group' => 'room-1']],
        ];
    }

    /** @dataProvider callProvider */
    public function testCallSendsOneRequestTheApiAccepts(callable $call, int|array $expected,
                                                         string $path, string $type,
                                                         array $fields): void
    {
        $this->assertSame($expected, $call($this->client()));
        $this->assertOneRequest($path, $type, $fields);
    }

    public function testTrailingSlashInTheUrlIsDropped(): void
    {
        $this->assertSame(5, $this->client(self::TOKEN, '/')->broadcast('x'));
        $this->assertOneRequest('/broadcast', self::JSON, ['message' => 'x']);
    }

    public function unknownClientProvider(): array
    {
        return [
            'send' => [fn (Client $c) => $c->send('unknown', 'x')],
            'close' => [fn (Client $c) => $c->close('unknown')],
            'join' => [fn (Client $c) => $c->join('unknown', 'g')],
            'leave' => [fn (Client $c) => $c->leave('unknown', 'g')],
        ];
    }

    /** @dataProvider unknownClientProvider */
    public function testUnknownClientThrowsTheApiErrorCode(callable $call): void
    {
        $this->assertPushError(fn () => $call($this->client()), 'unknown_client', 404);
    }

    public function testNoTokenSendsNoAuthorizationAndGets401(): void
    {
        $this->assertPushError(fn () => $this->client(null)->broadcast('x'), 'unauthorized', 401);
        $this->assertArrayNotHasKey('authorization', $this->requests()[0]['headers']);
        $this->assertPushError(fn () => $this->client('')->broadcast('x'), 'unauthorized', 401);
        $this->assertArrayNotHasKey('authorization', $this->requests()[0]['headers']);
    }

    public function testWrongTokenGets401(): void
    {
        $this->assertPushError(fn () => $this->client('wrong')->send('abc123', 'x'),
                               'unauthorized', 401);
    }

    public function testGatewayDownIsUnreachableWithStatus0(): void
    {
        $down = new Client('http://127.0.0.1:' . PhpProcess::freePort(), null, 1.0);
        $e = $this->assertPushError(fn () => $down->broadcast('x'), 'unreachable', 0);
        $this->assertStringContainsString('unreachable at http://127.0.0.1:', $e->getMessage());
    }

    /** The fake refuses what the real API refuses, so the checks above can fail. */
    public function testTheFakeEnforcesTheApiRules(): void
    {
        $port = self::$server->port;
        $base = "POST /broadcast HTTP/1.1\r\nAuthorization: Bearer " . self::TOKEN
              . "\r\nContent-Length: 9\r\nConnection: close\r\n";
        $form = "Content-Type: " . self::FORM . "\r\n";
        $this->assertSame(421, $this->rawStatus($base . $form . "Host: evil.example\r\n"));
        $this->assertSame(403, $this->rawStatus(
            $base . $form . "Host: 127.0.0.1:$port\r\nOrigin: http://evil.example\r\n"));
        $this->assertSame(403, $this->rawStatus(
            $base . $form . "Host: 127.0.0.1:$port\r\nSec-Fetch-Site: cross-site\r\n"));
        $this->assertSame(415, $this->rawStatus(
            $base . "Content-Type: text/plain\r\nHost: 127.0.0.1:$port\r\n"));
        $this->assertSame(200, $this->rawStatus($base . $form . "Host: 127.0.0.1:$port\r\n"));
    }

    public function invalidUrlProvider(): array
    {
        return [
            'a file' => ['file:///etc/passwd'],
            'another stream wrapper' => ['php://memory'],
            'no scheme' => ['127.0.0.1:8081'],
            'no host' => ['http:///send'],
        ];
    }

    /** @dataProvider invalidUrlProvider */
    public function testOnlyHttpUrlsAreTaken(string $url): void
    {
        $this->expectException(\InvalidArgumentException::class);
        new Client($url);
    }

    public function testHttpsUrlsAreTaken(): void
    {
        $this->assertInstanceOf(Client::class, new Client('https://wsgate.example:8443/_wsgate'));
    }

    private function assertPushError(callable $call, string $code, int $status): PushException
    {
        try {
            $call();
        } catch (PushException $e) {
            $this->assertSame($code, $e->getErrorCode());
            $this->assertSame($status, $e->getCode());
            $this->assertSame($status, $e->getHttpStatus());
            $this->assertNotSame('', $e->getMessage());
            return $e;
        }
        $this->fail("no PushException $code");
    }

    private function rawStatus(string $head): int
    {
        $socket = stream_socket_client('tcp://127.0.0.1:' . self::$server->port, $errno, $errstr, 5);
        $this->assertIsResource($socket, $errstr);
        fwrite($socket, $head . "\r\nmessage=x");
        $answer = (string)stream_get_contents($socket);
        fclose($socket);
        $this->assertMatchesRegularExpression('{^HTTP/1\.[01] (\d{3})}', $answer);
        preg_match('{^HTTP/1\.[01] (\d{3})}', $answer, $m);
        return (int)$m[1];
    }
}
