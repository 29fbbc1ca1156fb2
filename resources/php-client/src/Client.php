<?php
declare(strict_types=1);

namespace WsGate\Push;

/**
 * Dependency-free client for the wsgate push API (POST /send, /broadcast, /close, /join,
 * /leave). Uses PHP's own http stream wrapper: no curl extension, no shell.
 *
 * Every call is one POST with a body type the API accepts (JSON for text, form-encoded for
 * binary or non-UTF-8 payloads) and its Content-Type, the Host of the base URL (the push
 * API's own address, which it accepts), no Origin (it is not a browser), and the bearer token
 * when one is given. Errors throw PushException.
 */
class Client
{
    private string $baseUrl;
    private ?string $token;
    private float $timeout;

    /**
     * @param string      $baseUrl $_SERVER['WS_PUSH_URL'] in a handler; http:// or https://
     * @param string|null $token   $_SERVER['WS_PUSH_TOKEN'] (null or '' for none)
     * @param float       $timeout seconds for connecting and for the answer
     */
    public function __construct(string $baseUrl = 'http://127.0.0.1:8081', ?string $token = null,
                                float $timeout = 2.0)
    {
        // Only HTTP: the URL goes to file_get_contents(), which would open files and other
        // stream wrappers too.
        if (!preg_match('{^https?://[^/]}i', $baseUrl)) {
            throw new \InvalidArgumentException(
                'wsgate push API URL must start with http:// or https://, got "' . $baseUrl . '"');
        }
        $this->baseUrl = rtrim($baseUrl, '/');
        $this->token = ($token === null || $token === '') ? null : $token;
        $this->timeout = $timeout;
    }

    /** Sends to one connection; returns the number of connections reached (1). */
    public function send(string $clientId, string $message, bool $binary = false): int
    {
        $this->post('/send', ['client_id' => $clientId, 'message' => $message], $binary);
        return 1;
    }

    /** Sends to every connection bound to $user (X-WS-User); returns how many got it. */
    public function sendToUser(string $user, string $message, bool $binary = false): int
    {
        return $this->delivered($this->post('/send', ['user' => $user, 'message' => $message],
                                            $binary));
    }

    /** Sends to every connection in $group (X-WS-Join); returns how many got it. */
    public function sendToGroup(string $group, string $message, bool $binary = false): int
    {
        return $this->delivered($this->post('/send', ['group' => $group, 'message' => $message],
                                            $binary));
    }

    /** Sends to every connection; returns how many got it. */
    public function broadcast(string $message, bool $binary = false): int
    {
        return $this->delivered($this->post('/broadcast', ['message' => $message], $binary));
    }

    /** Closes a connection with this WebSocket close code and reason. */
    public function close(string $clientId, int $code = 1000, string $reason = ''): array
    {
        return $this->post('/close', ['client_id' => $clientId, 'code' => $code,
                                      'reason' => $reason]);
    }

    /** Adds a connection to a group. */
    public function join(string $clientId, string $group): array
    {
        return $this->post('/join', ['client_id' => $clientId, 'group' => $group]);
    }

    /** Removes a connection from a group. */
    public function leave(string $clientId, string $group): array
    {
        return $this->post('/leave', ['client_id' => $clientId, 'group' => $group]);
    }

    private function delivered(array $result): int
    {
        return (int)($result['delivered'] ?? 0);
    }

    /**
     * POSTs $fields and returns the decoded answer (a JSON object, or ['message' => text] for
     * a plain-text answer such as "Message sent"). JSON body for text; binary payloads (and
     * text that is not UTF-8, which JSON cannot carry) go form-encoded with binary=1.
     */
    private function post(string $path, array $fields, bool $binary = false): array
    {
        $json = $binary ? false : json_encode($fields, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        if ($json === false) {
            if ($binary) {
                $fields['binary'] = 1;
            }
            $body = http_build_query($fields, '', '&', PHP_QUERY_RFC3986);
            $contentType = 'application/x-www-form-urlencoded';
        } else {
            $body = $json;
            $contentType = 'application/json';
        }
        $headers = ["Content-Type: $contentType", 'Content-Length: ' . strlen($body),
                    'Accept: application/json', 'Connection: close'];
        if ($this->token !== null) {
            $headers[] = 'Authorization: Bearer ' . $this->token;
        }
        $context = stream_context_create(['http' => [
            'method' => 'POST',
            'header' => implode("\r\n", $headers),
            'content' => $body,
            'timeout' => $this->timeout,
            'ignore_errors' => true, // we want the body of 4xx/5xx answers too
            'follow_location' => 0,
            'protocol_version' => 1.1,
        ]]);

        $error = null;
        set_error_handler(static function (int $no, string $str) use (&$error): bool {
            $error = $str;
            return true;
        });
        try {
            $answer = file_get_contents($this->baseUrl . $path, false, $context);
        } finally {
            restore_error_handler();
        }
        $responseHeaders = function_exists('http_get_last_response_headers')
            ? (http_get_last_response_headers() ?? [])
            : ($http_response_header ?? []);
        if ($answer === false || $responseHeaders === []) {
            throw new PushException('unreachable',
                'wsgate push API unreachable at ' . $this->baseUrl . ': ' . ($error ?? 'no answer'));
        }
        $status = 0;
        if (preg_match('{^HTTP/\S+\s+(\d{3})}', $responseHeaders[0], $m)) {
            $status = (int)$m[1];
        }
        $decoded = json_decode($answer, true);
        $result = is_array($decoded) ? $decoded : ['message' => $answer];
        if ($status < 200 || $status > 299) {
            throw new PushException((string)($result['error'] ?? 'http_' . $status),
                (string)($result['message'] ?? "HTTP $status"), $status);
        }
        return $result;
    }
}
