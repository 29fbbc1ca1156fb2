// End-to-end browser test: headless Chromium (Debian's, driven by playwright-core) loads a page
// served on loopback, which talks through a real wsgated to a real php-fpm running
// tests/php/e2e_chat.php.
//
// Run through CTest (test e2e/browser, label e2e), or by hand from the source root:
//   npm ci --prefix tests/e2e
//   WSGATED=build/app/wsgated node tests/e2e/browser.test.mjs
//
// Environment:
//   WSGATED              path of the wsgated binary (required; CTest sets it)
//   WSGATE_SOURCE_DIR    source root (default: two levels above this file)
//   WSGATE_ARTIFACT_DIR  where the screenshot and the daemons' logs go (default: a temp dir)
//   WSGATE_CHROMIUM      Chromium executable (default /usr/bin/chromium)
//   WSGATE_PHP_FPM       php-fpm executable (default: php-fpm, php-fpm8.x on PATH or in /usr/sbin)
//   CI                   when set, a missing prerequisite fails (exit 1) instead of skipping (77)
//
// Exit codes: 0 all passed, 1 something failed, 77 skipped (prerequisite missing, not in CI).
// Only loopback addresses are used. Everything started here is stopped, even on failure.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE_DIR = path.resolve(process.env.WSGATE_SOURCE_DIR || path.join(HERE, '..', '..'));
const HANDLER = path.join(SOURCE_DIR, 'tests', 'php', 'e2e_chat.php');
const ARTIFACT_DIR = path.resolve(process.env.WSGATE_ARTIFACT_DIR ||
                                  path.join(os.tmpdir(), 'wsgate-e2e-artifacts'));
const SKIP = 77;
const DEADLINE_MS = 55_000; // the whole run, setup and teardown included, stays under a minute
const STEP_MS = 10_000; // one wait inside a test
const started = Date.now();

const ciValue = (process.env.CI || '').trim().toLowerCase();
const IN_CI = ciValue !== '' && ciValue !== '0' && ciValue !== 'false';

function log(line) {
    const t = ((Date.now() - started) / 1000).toFixed(2).padStart(6);
    process.stdout.write(`[e2e ${t}s] ${line}\n`);
}

// A prerequisite is missing: skip, or fail in CI where everything must be installed.
function unavailable(what, hint) {
    const verdict = IN_CI ? 'FAIL (CI is set, so a missing prerequisite is an error)' : 'SKIP';
    process.stderr.write(`e2e/browser: ${what}\n  fix: ${hint}\n  -> ${verdict}\n`);
    process.stdout.write(IN_CI ? '0 passed, 1 failed\n' : '0 passed, 0 failed, 1 skipped\n');
    process.exit(IN_CI ? 1 : SKIP);
}

function isExecutable(file) {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

function findPhpFpm() {
    if (process.env.WSGATE_PHP_FPM)
        return isExecutable(process.env.WSGATE_PHP_FPM) ? process.env.WSGATE_PHP_FPM : null;
    const dirs = [...(process.env.PATH || '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
    for (const dir of dirs.filter(Boolean)) {
        let names;
        try {
            names = fs.readdirSync(dir);
        } catch {
            continue;
        }
        const found = names
            .filter((n) => n === 'php-fpm' || /^php-fpm\d+(\.\d+)?$/.test(n))
            // "php-fpm" first, then versioned ones, newest first (php-fpm8.10 before php-fpm8.2)
            .sort((a, b) => {
                if (a === 'php-fpm' || b === 'php-fpm')
                    return a === 'php-fpm' ? -1 : 1;
                return b.localeCompare(a, 'en', { numeric: true });
            })
            .map((n) => path.join(dir, n))
            .find(isExecutable);
        if (found)
            return found;
    }
    return null;
}

// ---------------------------------------------------------------------------------------------
// Prerequisites

const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < 20)
    unavailable(`node ${process.versions.node} is too old (playwright-core needs >= 20)`,
                'install Node.js 20 or newer');

const WSGATED = process.env.WSGATED;
if (!WSGATED || !isExecutable(WSGATED)) {
    // Not a missing prerequisite but a missing build product: always a failure.
    process.stderr.write(`e2e/browser: wsgated not found (WSGATED=${WSGATED ?? '(unset)'}); ` +
                         'build it first: cmake --build <build dir> --target wsgated\n');
    process.stdout.write('0 passed, 1 failed\n');
    process.exit(1);
}
if (!fs.existsSync(HANDLER)) {
    process.stderr.write(`e2e/browser: handler script missing: ${HANDLER}\n0 passed, 1 failed\n`);
    process.exit(1);
}

const CHROMIUM = process.env.WSGATE_CHROMIUM || '/usr/bin/chromium';
if (!isExecutable(CHROMIUM))
    unavailable(`Chromium not found at ${CHROMIUM}`,
                'apt-get install chromium (or point WSGATE_CHROMIUM at a Chromium binary)');

const PHP_FPM = findPhpFpm();
if (!PHP_FPM)
    unavailable(`php-fpm not found${process.env.WSGATE_PHP_FPM ? ` at ${process.env.WSGATE_PHP_FPM}` : ''}`,
                'apt-get install php-fpm (or point WSGATE_PHP_FPM at a php-fpm binary)');

let chromium;
try {
    ({ chromium } = await import('playwright-core'));
} catch (e) {
    unavailable(`playwright-core is not installed in ${path.join(HERE, 'node_modules')} (${e.code || e.message})`,
                `npm ci --prefix ${path.relative(process.cwd(), HERE) || '.'}   (from ${process.cwd()})`);
}

// ---------------------------------------------------------------------------------------------
// Processes and cleanup

const children = new Set(); // { name, proc }
let browser = null;
let pageServer = null;
let tempDir = null;

function spawnGroup(name, file, args, logFile) {
    const out = fs.openSync(logFile, 'a');
    // Own process group, so a kill reaches php-fpm's workers as well as its master.
    const proc = spawn(file, args, { detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const entry = { name, proc, exited: false, code: null, signal: null };
    proc.on('exit', (code, signal) => {
        entry.exited = true;
        entry.code = code;
        entry.signal = signal;
        children.delete(entry);
    });
    proc.on('error', (e) => {
        entry.exited = true;
        entry.error = e;
        children.delete(entry);
    });
    children.add(entry);
    return entry;
}

function killGroup(entry, signal) {
    try {
        process.kill(-entry.proc.pid, signal);
    } catch {
        try {
            entry.proc.kill(signal);
        } catch { /* already gone */ }
    }
}

async function stopAll() {
    if (browser) {
        const b = browser;
        browser = null;
        await Promise.race([b.close().catch(() => {}), sleep(5000)]);
    }
    if (pageServer) {
        pageServer.closeAllConnections?.();
        pageServer.close();
        pageServer = null;
    }
    // wsgated first (so its close events still reach PHP), then php-fpm.
    for (const name of ['wsgated', 'php-fpm']) {
        for (const entry of [...children].filter((c) => c.name === name)) {
            killGroup(entry, 'SIGTERM');
            const until = Date.now() + 3000;
            while (!entry.exited && Date.now() < until)
                await sleep(50);
            if (!entry.exited) {
                log(`${name} ignored SIGTERM: SIGKILL`);
                killGroup(entry, 'SIGKILL');
            }
        }
    }
    if (tempDir) {
        await fsp.rm(tempDir, { recursive: true, force: true }).catch(() => {});
        tempDir = null;
    }
}

// Last resort when node itself is going away (CTest timeout, Ctrl-C, uncaught error).
process.on('exit', () => {
    for (const entry of children)
        killGroup(entry, 'SIGKILL');
    if (tempDir)
        fs.rmSync(tempDir, { recursive: true, force: true });
});
let aborting = false;
let passed = 0;
let failed = 0;

function printLogTails() {
    for (const name of ['wsgated.log', 'php-fpm.log']) {
        const file = path.join(ARTIFACT_DIR, name);
        process.stdout.write(`--- tail of ${file} ---\n${tailOf(file, 60)}\n`);
    }
}

// Stop everything and exit 1 (a signal, or the deadline); the main flow parks itself.
function abort(reason) {
    if (aborting)
        return;
    aborting = true;
    process.stderr.write(`e2e/browser: ${reason}: cleaning up\n`);
    stopAll().finally(() => {
        printLogTails();
        process.stdout.write(`${passed} passed, ${Math.max(failed, 1)} failed\n`);
        process.exit(1);
    });
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.on(signal, () => abort(`got ${signal}`));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, check, timeoutMs, failEarly) {
    const until = Date.now() + timeoutMs;
    let last;
    while (Date.now() < until) {
        if (failEarly) {
            const reason = failEarly();
            if (reason)
                throw new Error(`${what}: ${reason}`);
        }
        try {
            const v = await check();
            if (v)
                return v;
        } catch (e) {
            last = e;
        }
        await sleep(50);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${last.message})` : ''}`);
}

function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.unref();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

function tcpReachable(options) {
    return new Promise((resolve) => {
        const sock = net.connect(options);
        sock.setTimeout(1000);
        sock.once('connect', () => { sock.destroy(); resolve(true); });
        sock.once('error', () => resolve(false));
        sock.once('timeout', () => { sock.destroy(); resolve(false); });
    });
}

// A small HTTP client for the push API (loopback only).
function httpRequest(method, url, body, headers = {}) {
    return new Promise((resolve, reject) => {
        const u = new URL(url);
        assert.equal(u.hostname, '127.0.0.1', 'loopback only');
        const data = body === undefined ? undefined : Buffer.from(body);
        const req = http.request({
            host: u.hostname, port: u.port, path: u.pathname + u.search, method,
            headers: { ...headers, ...(data ? { 'Content-Length': data.length } : {}) },
            timeout: 5000,
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                          body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timeout`)));
        req.on('error', reject);
        req.end(data);
    });
}

function tailOf(file, lines = 40) {
    try {
        return fs.readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
    } catch {
        return '(no log)';
    }
}

// ---------------------------------------------------------------------------------------------
// The page: a tiny chat client. It connects to the WebSocket URL given as ?ws=, keeps every
// message in window.received and shows them.

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wsgate e2e</title>
<style>
 body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; background: #f6f7f9; }
 h1 { font-size: 18px; margin: 0 0 8px; }
 #status { display: inline-block; padding: 2px 8px; border-radius: 4px; background: #ddd; }
 #status.open { background: #bfe8c0; } #status.closed { background: #f3c0c0; }
 ol { background: #fff; border: 1px solid #ccc; padding: 8px 8px 8px 32px; min-height: 60px; }
 li { font-family: ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
 li.out { color: #555; } li.in { color: #063; }
</style></head>
<body>
<h1>wsgate e2e — <span id="who">?</span></h1>
<p>WebSocket: <code id="url"></code> <span id="status">connecting</span></p>
<ol id="log"></ol>
<script>
 const url = new URLSearchParams(location.search).get('ws');
 document.getElementById('url').textContent = url;
 document.getElementById('who').textContent = new URLSearchParams(location.search).get('name') || 'page';
 window.received = [];
 window.closeInfo = null;
 const status = document.getElementById('status');
 function show(kind, text) {
   const li = document.createElement('li');
   li.className = kind;
   li.textContent = (kind === 'out' ? '→ ' : '← ') + text;
   document.getElementById('log').appendChild(li);
 }
 const ws = new WebSocket(url);
 window.ws = ws;
 ws.onopen = () => { status.textContent = 'open'; status.className = 'open'; };
 ws.onmessage = (e) => {
   let json = null;
   try { json = JSON.parse(e.data); } catch (_) {}
   window.received.push({ data: String(e.data), json });
   show('in', String(e.data));
 };
 ws.onclose = (e) => {
   window.closeInfo = { code: e.code, reason: e.reason };
   status.textContent = 'closed ' + e.code; status.className = 'closed';
 };
 ws.onerror = () => { status.textContent = 'error'; status.className = 'closed'; };
 window.send = (v) => {
   const text = typeof v === 'string' ? v : JSON.stringify(v);
   ws.send(text);
   show('out', text);
 };
</script>
</body></html>
`;

// ---------------------------------------------------------------------------------------------
// Setup


async function startPhpFpm() {
    const sock = path.join(tempDir, 'php-fpm.sock');
    const conf = path.join(tempDir, 'php-fpm.conf');
    const logFile = path.join(ARTIFACT_DIR, 'php-fpm.log');
    // No error_log in the pool: PHP's warnings go to FastCGI STDERR, as with wsgate's managed PHP.
    fs.writeFileSync(conf, [
        '[global]',
        `pid = ${path.join(tempDir, 'php-fpm.pid')}`,
        `error_log = ${logFile}`,
        'daemonize = no',
        'log_level = notice',
        '',
        '[e2e]',
        `listen = ${sock}`,
        'listen.mode = 0600',
        'pm = static',
        'pm.max_children = 4',
        'pm.status_path = /fpm-status',
        'ping.path = /fpm-ping',
        'clear_env = yes',
        '',
    ].join('\n'));
    const args = ['--nodaemonize', '--fpm-config', conf, '-d', 'display_errors=stderr'];
    if (process.getuid?.() === 0)
        args.push('--allow-to-run-as-root');
    const fpm = spawnGroup('php-fpm', PHP_FPM, args, logFile);
    await waitFor('php-fpm socket', () => fs.existsSync(sock) && tcpReachable({ path: sock }), 10_000,
                  () => fpm.exited ? `php-fpm exited (${fpm.error?.message ?? fpm.code ?? fpm.signal}):\n${tailOf(logFile)}` : null);
    log(`php-fpm ${PHP_FPM} up on unix:${sock} (pid ${fpm.proc.pid})`);
    return sock;
}

async function startWsgated(fpmSocket, pageOrigin) {
    const logFile = path.join(ARTIFACT_DIR, 'wsgated.log');
    // Free ports are found by binding to port 0 and letting go; another process may grab one in
    // between, so a failed start is retried on new ports.
    for (let attempt = 1; ; attempt++) {
        const wsPort = await freePort();
        let pushPort = await freePort();
        while (pushPort === wsPort)
            pushPort = await freePort();
        const args = [
            '--listen', `127.0.0.1:${wsPort}`,
            '--push-listen', `127.0.0.1:${pushPort}`,
            '--fastcgi', `unix:${fpmSocket}`,
            '--script', HANDLER,
            '--docroot', path.dirname(HANDLER),
            '--events', 'open,message,close',
            '--fastcgi-pool', '3', // below pm.max_children
            '--allowed-origins', pageOrigin,
            '--log-level', 'debug',
        ];
        fs.appendFileSync(logFile, `# attempt ${attempt}: ${WSGATED} ${args.join(' ')}\n`);
        const attemptStart = fs.statSync(logFile).size;
        const gw = spawnGroup('wsgated', WSGATED, args, logFile);
        const pushUrl = `http://127.0.0.1:${pushPort}`;
        try {
            await waitFor('wsgated to listen', async () => {
                const health = await httpRequest('GET', `${pushUrl}/health`);
                return health.status === 200 && await tcpReachable({ host: '127.0.0.1', port: wsPort });
            }, 10_000, () => gw.exited ? `wsgated exited (${gw.error?.message ?? gw.code ?? gw.signal})` : null);
            log(`wsgated up: ws://127.0.0.1:${wsPort}/ws, push API ${pushUrl} (pid ${gw.proc.pid})`);
            return { wsUrl: `ws://127.0.0.1:${wsPort}/ws`, pushUrl };
        } catch (e) {
            killGroup(gw, 'SIGKILL');
            await waitFor('wsgated to exit', () => gw.exited, 3000).catch(() => {});
            const output = fs.readFileSync(logFile, 'utf8').slice(attemptStart);
            const portTaken = /in use|--listen|--push-listen/i.test(output);
            if (attempt >= 3 || !portTaken)
                throw new Error(`${e.message}\n--- wsgated log ---\n${tailOf(logFile)}`);
            log(`wsgated could not listen (attempt ${attempt}), retrying on other ports`);
        }
    }
}

function startPageServer() {
    return new Promise((resolve, reject) => {
        const server = http.createServer((req, res) => {
            if (req.url === '/favicon.ico') {
                res.writeHead(204);
                res.end();
            } else if (req.method === 'GET' && (req.url === '/' || req.url.startsWith('/?'))) {
                res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
                res.end(PAGE);
            } else {
                res.writeHead(404, { 'Content-Type': 'text/plain' });
                res.end('not found');
            }
        });
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
    });
}

// ---------------------------------------------------------------------------------------------
// Page helpers

let env; // { wsUrl, pushUrl, pageUrl }

async function openPage(name) {
    const context = await browser.newContext({ viewport: { width: 720, height: 420 } });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('pageerror', (e) => log(`[${name}] page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') log(`[${name}] console: ${m.text()}`); });
    await page.goto(`${env.pageUrl}/?name=${encodeURIComponent(name)}&ws=${encodeURIComponent(env.wsUrl)}`);
    await page.waitForFunction(() => window.ws && (window.ws.readyState === 1 || window.closeInfo));
    const closeInfo = await page.evaluate(() => window.closeInfo);
    assert.equal(closeInfo, null, `[${name}] the WebSocket closed instead of opening: ${JSON.stringify(closeInfo)}`);
    return page;
}

// The first message (index >= from) whose JSON has `key`, or whose text equals `text`.
async function waitForMessage(page, { key, text, from = 0 }) {
    const handle = await page.waitForFunction(({ key, text, from }) => {
        const m = window.received.slice(from).find((m) =>
            (key !== undefined && m.json && typeof m.json === 'object' && key in m.json) ||
            (text !== undefined && m.data === text));
        return m || (window.closeInfo && { closed: window.closeInfo });
    }, { key, text, from }, { timeout: STEP_MS });
    const m = await handle.jsonValue();
    await handle.dispose();
    if (m.closed)
        throw new Error(`WebSocket closed (${JSON.stringify(m.closed)}) while waiting for ${key ?? JSON.stringify(text)}`);
    return m;
}

const receivedCount = (page) => page.evaluate(() => window.received.length);

async function whoami(page) {
    const from = await receivedCount(page);
    await page.evaluate(() => window.send('whoami'));
    const m = await waitForMessage(page, { key: 'you', from });
    assert.equal(typeof m.json.you, 'string');
    assert.ok(m.json.you.length >= 16, `client id looks too short: ${m.json.you}`);
    return m.json.you;
}

async function join(page, room) {
    const from = await receivedCount(page);
    await page.evaluate((room) => window.send({ join: room }), room);
    const m = await waitForMessage(page, { key: 'joined', from });
    assert.equal(m.json.joined, room);
}

// ---------------------------------------------------------------------------------------------
// Tests

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('a page connects through the gateway, sends a message and gets PHP\'s reply', async () => {
    const page = await openPage('echo');
    await page.evaluate(() => window.send({ hello: 'gateway', n: 42 }));
    const m = await waitForMessage(page, { key: 'echo' });
    assert.deepEqual(m.json.echo, { hello: 'gateway', n: 42 });
    assert.ok(m.json.you, 'the handler saw WS_CLIENT_ID');
    await page.context().close();
});

test('a page receives a push sent through the push API (POST /send client_id)', async () => {
    const page = await openPage('push');
    const id = await whoami(page);
    const info = await httpRequest('GET', `${env.pushUrl}/clients/${encodeURIComponent(id)}`);
    assert.equal(info.status, 200, `GET /clients/{id}: ${info.status} ${info.body}`);
    const message = `pushed from node ${Date.now()} ✓`;
    const from = await receivedCount(page);
    const r = await httpRequest('POST', `${env.pushUrl}/send`,
                                new URLSearchParams({ client_id: id, message }).toString(),
                                { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(r.status, 200, `POST /send: ${r.status} ${r.body}`);
    assert.equal(r.body.trim(), 'Message sent', 'the Go design\'s answer');
    const m = await waitForMessage(page, { text: message, from });
    assert.equal(m.data, message);
    await page.context().close();
});

test('two pages chat in room "lobby" (X-WS-Join, fan-out by PHP through the push API)', async () => {
    const a = await openPage('A');
    const b = await openPage('B');
    const idA = await whoami(a);
    const idB = await whoami(b);
    assert.notEqual(idA, idB, 'client ids are unique');
    await join(a, 'lobby');
    await join(b, 'lobby');
    const fromB = await receivedCount(b);
    const fromA = await receivedCount(a);
    await a.evaluate(() => window.send({ say: 'hi' }));
    const got = await waitForMessage(b, { key: 'say', from: fromB });
    assert.deepEqual(got.json, { from: idA, room: 'lobby', say: 'hi' });
    // A hears its own line (it is in the room too) and PHP's answer about the push.
    const echoA = await waitForMessage(a, { key: 'say', from: fromA });
    assert.equal(echoA.json.from, idA);
    const ack = await waitForMessage(a, { key: 'pushed', from: fromA });
    assert.equal(ack.json.pushed, 200, `PHP's push call: ${JSON.stringify(ack.json)}`);
    // DESIGN.md: "200 with the count"; the push API names it delivered (matched: members found).
    const reached = ack.json.push?.count ?? ack.json.push?.delivered;
    assert.equal(reached, 2, `push to group lobby should reach A and B: ${JSON.stringify(ack.json.push)}`);
    // B answers; A gets it.
    const fromA2 = await receivedCount(a);
    await b.evaluate(() => window.send({ say: 'hello A' }));
    const back = await waitForMessage(a, { key: 'say', from: fromA2 });
    assert.deepEqual(back.json, { from: idB, room: 'lobby', say: 'hello A' });
    // Closing A's page ends its connection: the gateway forgets it, and PHP's close event
    // (WS_GROUPS, WS_CLOSE_CODE) tells the room.
    const fromB2 = await receivedCount(b);
    await a.context().close();
    const left = await waitForMessage(b, { key: 'left', from: fromB2 });
    assert.equal(left.json.left, idA);
    assert.equal(left.json.room, 'lobby');
    assert.equal(left.json.code, 1001, 'a page closing sends 1001 (going away)');
    await waitFor('A to disappear from GET /clients/{id}', async () =>
        (await httpRequest('GET', `${env.pushUrl}/clients/${encodeURIComponent(idA)}`)).status === 404, STEP_MS);
    const shot = path.join(ARTIFACT_DIR, 'e2e-browser-chat-B.png');
    await b.screenshot({ path: shot, fullPage: true });
    log(`screenshot of page B: ${shot}`);
    await b.context().close();
});

// ---------------------------------------------------------------------------------------------
// Main

let setupError = null;
const deadline = setTimeout(() => abort(`over the ${DEADLINE_MS / 1000} s budget, giving up`), DEADLINE_MS);

try {
    fs.mkdirSync(ARTIFACT_DIR, { recursive: true });
    for (const name of ['wsgated.log', 'php-fpm.log', 'e2e-browser-chat-B.png'])
        fs.rmSync(path.join(ARTIFACT_DIR, name), { force: true });
    // Short path: unix socket paths are limited to ~107 bytes.
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsgate-e2e-'));
    log(`node ${process.versions.node}, chromium ${CHROMIUM}, php-fpm ${PHP_FPM}, wsgated ${WSGATED}`);
    log(`artifacts (logs, screenshot): ${ARTIFACT_DIR}`);
    pageServer = await startPageServer();
    const pageUrl = `http://127.0.0.1:${pageServer.address().port}`;
    const fpmSocket = await startPhpFpm();
    const gw = await startWsgated(fpmSocket, pageUrl);
    env = { ...gw, pageUrl };
    browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        timeout: 20_000,
        args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    log(`chromium ${browser.version()} launched; page served on ${pageUrl}`);
} catch (e) {
    setupError = e;
}

if (setupError) {
    failed++;
    process.stdout.write(`not ok - setup\n  ${String(setupError.stack || setupError).replace(/\n/g, '\n  ')}\n`);
} else {
    for (const t of tests) {
        if (aborting)
            break;
        const t0 = Date.now();
        try {
            await t.fn();
            passed++;
            process.stdout.write(`ok - ${t.name} (${Date.now() - t0} ms)\n`);
        } catch (e) {
            failed++;
            process.stdout.write(`not ok - ${t.name} (${Date.now() - t0} ms)\n  ${String(e.stack || e).replace(/\n/g, '\n  ')}\n`);
        }
    }
}

if (aborting)
    await new Promise(() => {}); // the signal or deadline handler is cleaning up and will exit
await stopAll();
clearTimeout(deadline);
if (failed)
    printLogTails();
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed ? 1 : 0);
