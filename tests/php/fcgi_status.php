<?php
// Answers with the status code given in the query string (?code=503).
http_response_code((int)($_GET['code'] ?? 500));
echo 'status ' . http_response_code();
