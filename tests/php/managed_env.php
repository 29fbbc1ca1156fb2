<?php
// Used by tst_managedphp: shows the env[] and php_admin_value[] the managed pool passes, who the
// worker runs as and how Xdebug is set up, and writes to the error log, which must arrive as
// FastCGI STDERR (the pool sets no error_log).
error_log('managed-stderr ' . getmypid());
header('Content-Type: text/plain');
echo json_encode([
    'env' => getenv('WSGATE_TEST_ENV'),
    'post_max_size' => ini_get('post_max_size'),
    'display_errors' => ini_get('display_errors'),
    'pid' => getmypid(),
    'euid' => function_exists('posix_geteuid') ? posix_geteuid() : -1,
    'xdebug' => extension_loaded('xdebug'),
    'xdebug_mode' => ini_get('xdebug.mode'),
    'xdebug_start' => ini_get('xdebug.start_with_request'),
    'xdebug_port' => ini_get('xdebug.client_port'),
    'variables_order' => ini_get('variables_order'),
]);
