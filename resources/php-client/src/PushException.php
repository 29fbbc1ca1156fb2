<?php
declare(strict_types=1);

namespace WsGate\Push;

/**
 * Error from the wsgate push API. getErrorCode() is the API's stable "error" code
 * (unknown_client, unauthorized, client_buffer_full, ...; "unreachable" when the gateway could
 * not be reached at all), getCode() and getHttpStatus() the HTTP status (0 when unreachable).
 */
class PushException extends \RuntimeException
{
    private string $errorCode;

    public function __construct(string $errorCode, string $message, int $httpStatus = 0,
                                ?\Throwable $previous = null)
    {
        parent::__construct($message, $httpStatus, $previous);
        $this->errorCode = $errorCode;
    }

    public function getErrorCode(): string
    {
        return $this->errorCode;
    }

    public function getHttpStatus(): int
    {
        return $this->getCode();
    }
}
