<?php
declare(strict_types=1);

namespace WsGate\Push\Tests;

/**
 * A server process for the tests (php -S with the fake push API, or wsgated), started with an
 * argument array (no shell) and stopped by stop() or when the object goes away.
 */
final class PhpProcess
{
    /** @var resource */
    private $process;
    public readonly int $port;
    public readonly string $log;

    /** A free loopback port (bound, then released). */
    public static function freePort(): int
    {
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        if ($server === false) {
            throw new \RuntimeException("no free port: $errstr");
        }
        $name = (string)stream_socket_get_name($server, false);
        fclose($server);
        return (int)substr($name, strrpos($name, ':') + 1);
    }

    /**
     * Starts $command and waits (up to 10 s) until 127.0.0.1:$port accepts connections.
     * @param list<string> $command
     * @param array<string, string> $env
     */
    public function __construct(array $command, int $port, array $env = [])
    {
        $this->port = $port;
        $this->log = (string)tempnam(sys_get_temp_dir(), 'pushclient-server');
        $env += ['PATH' => (string)getenv('PATH')];
        $process = proc_open($command, [0 => ['pipe', 'r'], 1 => ['file', $this->log, 'a'],
                                        2 => ['file', $this->log, 'a']], $pipes, __DIR__, $env);
        if (!is_resource($process)) {
            throw new \RuntimeException('cannot start ' . $command[0]);
        }
        $this->process = $process;
        for ($i = 0; $i < 200; $i++) {
            $socket = @fsockopen('127.0.0.1', $port, $errno, $errstr, 0.2);
            if ($socket !== false) {
                fclose($socket);
                return;
            }
            if (!proc_get_status($process)['running']) {
                break;
            }
            usleep(50000);
        }
        $output = (string)file_get_contents($this->log);
        $this->stop();
        throw new \RuntimeException(basename($command[0]) . " did not listen on 127.0.0.1:$port: "
                                    . $output);
    }

    public function stop(): void
    {
        if (isset($this->process) && is_resource($this->process)) {
            proc_terminate($this->process);
            proc_close($this->process);
        }
        if (is_file($this->log)) {
            @unlink($this->log);
        }
    }

    public function __destruct()
    {
        $this->stop();
    }
}
