<?php
// Benchmark handler: echoes the request body (the WebSocket message) back unchanged.
echo file_get_contents('php://input');
