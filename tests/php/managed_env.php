<?php
// Used by tst_managedphp: shows the env[] and php_admin_value[] the managed pool passes, and
// writes to the error log, which must arrive as FastCGI STDERR (the pool sets no error_log).
error_log('managed-stderr ' . getmypid());
header('Content-Type: text/plain');
echo json_encode([
    'env' => getenv('WSGATE_TEST_ENV'),
    'post_max_size' => ini_get('post_max_size'),
    'display_errors' => ini_get('display_errors'),
    'pid' => getmypid(),
]);
