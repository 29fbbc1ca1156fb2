<?php
// Autoloads the package the way its composer.json says (PSR-4), without Composer: a wrong
// mapping in composer.json fails every test here.
declare(strict_types=1);

const PUSH_CLIENT_ROOT = __DIR__ . '/../../../resources/php-client';

$composer = json_decode((string)file_get_contents(PUSH_CLIENT_ROOT . '/composer.json'), true,
                        512, JSON_THROW_ON_ERROR);
foreach ($composer['autoload']['psr-4'] as $prefix => $dir) {
    spl_autoload_register(static function (string $class) use ($prefix, $dir): void {
        if (!str_starts_with($class, $prefix)) {
            return;
        }
        $file = PUSH_CLIENT_ROOT . '/' . rtrim($dir, '/') . '/'
            . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    });
}

require_once __DIR__ . '/PhpProcess.php';
