<?php
declare(strict_types=1);

// The wsgate push client under the names the examples (and handlers written for them) use:
// WsGatePush is \WsGate\Push\Client and WsGatePushException is \WsGate\Push\PushException,
// from the Composer package wsgate/push-client (resources/php-client/ in the source tree,
// /usr/share/wsgate/php-client/ when installed, lib/php-client/ beside this file in --demo).
// With Composer's autoloader loaded, its copy is used.

(static function (): void { // a function, so no variable leaks into the including script
    if (class_exists(\WsGate\Push\Client::class)) {
        return;
    }
    foreach ([__DIR__ . '/php-client/src', __DIR__ . '/../../php-client/src'] as $dir) {
        if (is_file($dir . '/Client.php')) {
            require_once $dir . '/PushException.php';
            require_once $dir . '/Client.php';
            return;
        }
    }
    throw new LogicException('WsGatePush.php: the wsgate/push-client package (src/Client.php) '
                             . 'is neither in ' . __DIR__ . '/php-client nor in '
                             . dirname(__DIR__, 2) . '/php-client');
})();

if (!class_exists('WsGatePush', false)) {
    class_alias(\WsGate\Push\Client::class, 'WsGatePush');
    class_alias(\WsGate\Push\PushException::class, 'WsGatePushException');
}
