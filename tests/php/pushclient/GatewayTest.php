<?php
// The push client against a real wsgated (the binary in WSGATED, which CTest sets): the push
// API's own checks (Host, Origin, token, body type) accept what the client sends, on the API's
// own listener and below --push-prefix on the WebSocket port. No WebSocket clients are
// connected, so deliveries count 0 and client ids are unknown; no PHP-FPM is needed for that.
declare(strict_types=1);

namespace WsGate\Push\Tests;

use PHPUnit\Framework\TestCase;
use WsGate\Push\Client;
use WsGate\Push\PushException;

final class GatewayTest extends TestCase
{
    private const TOKEN = 'push-client-test-token';
    private const NO_CLIENT = '00000000000000000000000000000000';

    /** @var array<string, PhpProcess> */
    private static array $gateways = [];

    public static function tearDownAfterClass(): void
    {
        foreach (self::$gateways as $gateway) {
            $gateway->stop();
        }
        self::$gateways = [];
    }

    /** The push API's base URL in $mode, starting that gateway the first time. */
    private function baseUrl(string $mode): string
    {
        $wsgated = (string)getenv('WSGATED');
        if ($wsgated === '' || !is_executable($wsgated)) {
            if (getenv('CI') !== false && !in_array(getenv('CI'), ['', '0', 'false'], true)) {
                $this->fail('WSGATED is not set to the wsgated binary (CTest sets it)');
            }
            $this->markTestSkipped('WSGATED is not set to the wsgated binary (CTest sets it)');
        }
        if (!isset(self::$gateways[$mode])) {
            $ws = PhpProcess::freePort();
            $push = PhpProcess::freePort();
            $args = [$wsgated, '--listen', "127.0.0.1:$ws", '--push-token', self::TOKEN,
                     '--fastcgi', 'unix:' . sys_get_temp_dir() . '/wsgate-pushclient-none.sock',
                     '--script', __FILE__];
            if ($mode === 'prefix') {
                array_push($args, '--push-listen', 'off', '--push-prefix', '/_wsgate');
                self::$gateways[$mode] = new PhpProcess($args, $ws);
            } else {
                array_push($args, '--push-listen', "127.0.0.1:$push");
                self::$gateways[$mode] = new PhpProcess($args, $push);
            }
        }
        $port = self::$gateways[$mode]->port;
        return $mode === 'prefix' ? "http://127.0.0.1:$port/_wsgate" : "http://127.0.0.1:$port";
    }

    public function modeProvider(): array
    {
        return ['push listener' => ['listener'], '--push-prefix on the WebSocket port' => ['prefix']];
    }

    /** @dataProvider modeProvider */
    public function testEveryCallIsAcceptedByTheApi(string $mode): void
    {
        $push = new Client($this->baseUrl($mode), self::TOKEN, 5.0);
        $this->assertSame(0, $push->broadcast('hello'));                  // JSON body
        $this->assertSame(0, $push->broadcast("\x00\xff", true));          // form, binary=1
        // Text that is not UTF-8 goes form-encoded (JSON cannot carry it); the API refuses it.
        $this->assertPushError(fn () => $push->broadcast("caf\xe9"), 'invalid_utf8', 400);
        $this->assertSame(0, $push->sendToGroup('lobby', '{"text":"hi"}'));
        $this->assertSame(0, $push->sendToUser('alice', 'you have mail'));
        foreach ([fn () => $push->send(self::NO_CLIENT, 'x'),
                  fn () => $push->send(self::NO_CLIENT, "\x01", true),
                  fn () => $push->close(self::NO_CLIENT, 4000, 'kicked'),
                  fn () => $push->join(self::NO_CLIENT, 'lobby'),
                  fn () => $push->leave(self::NO_CLIENT, 'lobby')] as $call) {
            // Past Host, Origin, token and body checks: the API looked the client up.
            $this->assertPushError($call, 'unknown_client', 404);
        }
    }

    /** @dataProvider modeProvider */
    public function testTokenIsChecked(string $mode): void
    {
        $url = $this->baseUrl($mode);
        $this->assertPushError(fn () => (new Client($url, 'wrong', 5.0))->broadcast('x'),
                               'unauthorized', 401);
        $this->assertPushError(fn () => (new Client($url, null, 5.0))->broadcast('x'),
                               'unauthorized', 401);
    }

    public function testCloseCodeIsCheckedByTheApi(): void
    {
        $push = new Client($this->baseUrl('listener'), self::TOKEN, 5.0);
        $this->assertPushError(fn () => $push->close(self::NO_CLIENT, 1005), 'invalid_close_code',
                               400);
    }

    private function assertPushError(callable $call, string $code, int $status): void
    {
        try {
            $call();
        } catch (PushException $e) {
            $this->assertSame($code, $e->getErrorCode(), $e->getMessage());
            $this->assertSame($status, $e->getHttpStatus());
            return;
        }
        $this->fail("no PushException $code");
    }
}
