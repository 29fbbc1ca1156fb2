<?php
// resources/examples/lib/WsGatePush.php: the names the examples and older handlers use
// (WsGatePush, WsGatePushException) are the package's classes, found in each layout the
// examples run from: the source tree and the package (../../php-client) and --demo
// (lib/php-client). Each case runs in a fresh php without the test's autoloader.
declare(strict_types=1);

namespace WsGate\Push\Tests;

use PHPUnit\Framework\TestCase;

final class LegacyNamesTest extends TestCase
{
    private const SHIM = __DIR__ . '/../../../resources/examples/lib/WsGatePush.php';

    private string $tmp = '';

    protected function tearDown(): void
    {
        if ($this->tmp !== '') {
            exec('rm -rf ' . escapeshellarg($this->tmp));
        }
    }

    /** Runs $code in `php -n` after requiring $shim; returns [exit code, output]. */
    private function runPhp(string $shim, string $code): array
    {
        $script = '<?php declare(strict_types=1); require ' . var_export($shim, true) . ";\n"
                . $code;
        $file = (string)tempnam(sys_get_temp_dir(), 'pushclient-legacy');
        file_put_contents($file, $script);
        $process = proc_open([PHP_BINARY, '-n', $file], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
                             $pipes);
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        $status = proc_close($process);
        unlink($file);
        return [$status, trim((string)$out)];
    }

    private const CHECK = <<<'PHP'
        $push = new WsGatePush('http://127.0.0.1:1', null, 0.5);
        echo get_class($push), ' ', (new ReflectionClass('WsGatePushException'))->getName(), ' ';
        try {
            $push->send('x', 'y');
        } catch (WsGatePushException $e) {  // what chat.php catches
            echo get_class($e), ' ', $e->getErrorCode();
        }
        PHP;

    public function testSourceTreeAndPackageLayout(): void
    {
        [$status, $out] = $this->runPhp(self::SHIM, self::CHECK);
        $this->assertSame(0, $status, $out);
        $this->assertSame('WsGate\Push\Client WsGate\Push\PushException '
                          . 'WsGate\Push\PushException unreachable', $out);
    }

    public function testDemoLayout(): void
    {
        // What --demo extracts from the resources: lib/WsGatePush.php, lib/php-client/src/.
        $this->tmp = sys_get_temp_dir() . '/pushclient-demo-' . bin2hex(random_bytes(6));
        mkdir($this->tmp . '/lib/php-client/src', 0700, true);
        copy(self::SHIM, $this->tmp . '/lib/WsGatePush.php');
        foreach (['Client.php', 'PushException.php'] as $f) {
            copy(PUSH_CLIENT_ROOT . "/src/$f", $this->tmp . "/lib/php-client/src/$f");
        }
        [$status, $out] = $this->runPhp($this->tmp . '/lib/WsGatePush.php', self::CHECK);
        $this->assertSame(0, $status, $out);
        $this->assertStringEndsWith('WsGate\Push\PushException unreachable', $out);
    }

    public function testMissingPackageSaysWhereItLooked(): void
    {
        $this->tmp = sys_get_temp_dir() . '/pushclient-none-' . bin2hex(random_bytes(6));
        mkdir($this->tmp . '/examples/lib', 0700, true);
        copy(self::SHIM, $this->tmp . '/examples/lib/WsGatePush.php');
        [$status, $out] = $this->runPhp($this->tmp . '/examples/lib/WsGatePush.php', 'echo "loaded";');
        $this->assertNotSame(0, $status);
        $this->assertStringContainsString('the wsgate/push-client package (src/Client.php) is '
                                          . 'neither in ' . $this->tmp . '/examples/lib/php-client',
                                          $out);
        $this->assertStringNotContainsString('loaded', $out);
    }

    public function testNoVariableLeaksIntoTheIncludingScript(): void
    {
        [$status, $out] = $this->runPhp(self::SHIM,
            'echo json_encode(array_values(array_filter(array_keys(get_defined_vars()), '
            . 'fn ($n) => $n[0] !== "_" && $n !== "argv" && $n !== "argc")));');
        $this->assertSame(0, $status, $out);
        $this->assertSame('[]', $out);
    }
}
