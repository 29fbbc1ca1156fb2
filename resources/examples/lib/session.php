<?php
declare(strict_types=1);

/**
 * Starts the PHP session the browser's cookie names (wsgate forwards the handshake's Cookie
 * header as HTTP_COOKIE). WSGATE_SESSION_DIR (server param or environment) chooses where
 * sessions live, so a test or a demo can share them between login.php and auth.php.
 */
function wsgate_session_start(bool $readOnly): void
{
    $dir = $_SERVER['WSGATE_SESSION_DIR'] ?? getenv('WSGATE_SESSION_DIR');
    if (is_string($dir) && $dir !== '') {
        session_save_path($dir);
    }
    if ($readOnly && !isset($_COOKIE[session_name()])) {
        return; // no cookie, no session: do not create one just to find it empty
    }
    // read_and_close: a WebSocket event must not hold the session lock.
    session_start($readOnly ? ['read_and_close' => true] : []);
}
