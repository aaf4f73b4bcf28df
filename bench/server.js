'use strict';
// The Node.js reference implementation of ../shared/CONTRACT.md that scripts/bench measures
// RunsStream against: socket.io 4.8.4 on node:http, written the way a competent Node team would
// port the seed's NestJS gateway. One `run-event` emit per pipe read (to the run's room, encoded
// once by the adapter), the whole output retained in memory, and a subscriber's replay emitted
// event by event to the joining socket. Environment: the same variables as RunsStream (HOST,
// PORT, WS_AUTH_TOKEN, DATA_DIR, WORKSPACE_ROOT, MAX_CONCURRENT_RUNS, RUN_LOG_MAX_BYTES,
// MAX_BODY_BYTES, CANCEL_GRACE, CORS_ORIGINS).

const http = require('node:http');
const os = require('node:os');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const { StringDecoder } = require('node:string_decoder');
const { Server } = require('socket.io');

const env = process.env;
const HOST = env.HOST || '127.0.0.1';
const PORT = Number(env.PORT || 4000);
const TOKEN = env.WS_AUTH_TOKEN || crypto.randomBytes(24).toString('base64url');
const DATA_DIR = path.resolve(env.DATA_DIR || 'data');
const WORKSPACE_ROOT = path.resolve(env.WORKSPACE_ROOT || path.join(DATA_DIR, 'workspaces'));
const MAX_CONCURRENT_RUNS = Number(env.MAX_CONCURRENT_RUNS || os.cpus().length);
const RUN_LOG_MAX_BYTES = Number(env.RUN_LOG_MAX_BYTES || 100 * 1000 * 1000);
const MAX_BODY_BYTES = Number(env.MAX_BODY_BYTES || 1024 * 1024);
const CANCEL_GRACE_MS = parseDuration(env.CANCEL_GRACE || '5s');
const CORS_ORIGINS = env.CORS_ORIGINS ? env.CORS_ORIGINS.split(',').map((o) => o.trim()) : null;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const NAMESPACES = ['/', '/runs'];

function parseDuration(text) {
  const m = /^(\d+)(ms|s|m)?$/.exec(text);
  if (!m) throw new Error(`bad duration ${text}`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60000 }[m[2] || 's']);
}

// ---- runs -------------------------------------------------------------------------------

/** @type {Map<string, any>} */
const runs = new Map();
const waiting = [];
let running = 0;

function newRunId() {
  return 'run-' + Date.now().toString(36).toUpperCase() + crypto.randomBytes(8).toString('hex').toUpperCase();
}

function createRun(runId, command, workspaceId, external) {
  const run = {
    runId, command, workspaceId: workspaceId ?? null, external,
    status: null, createdAt: new Date().toISOString(), startedAt: null, finishedAt: null,
    exitCode: null, reason: null,
    events: [], retainedBytes: 0, droppedBytes: 0, lastSeq: 0,
    child: null, cancelRequested: false, followers: new Set(),
  };
  runs.set(runId, run);
  return run;
}

/** Appends an event (assigning the next seq), retains it and emits it to the run's room. */
function append(run, type, data, extra) {
  const event = { runId: run.runId, seq: ++run.lastSeq, type, data, timestamp: new Date().toISOString(), ...extra };
  if (type === 'status') {
    run.status = data;
    if (data === 'running') run.startedAt = event.timestamp;
    if (TERMINAL.has(data)) {
      run.finishedAt = event.timestamp;
      run.exitCode = extra.exitCode ?? null;
      run.reason = extra.reason ?? null;
    }
  }
  run.events.push(event);
  run.retainedBytes += Buffer.byteLength(data);
  while (run.retainedBytes > RUN_LOG_MAX_BYTES && run.events.length > 1) {
    const dropped = run.events.shift();
    const size = Buffer.byteLength(dropped.data);
    run.retainedBytes -= size;
    run.droppedBytes += size;
  }
  for (const ns of NAMESPACES) io.of(ns).to(room(run.runId)).emit('run-event', event);
  if (type !== 'status') for (const res of run.followers) res.write(data);
  if (type === 'status' && TERMINAL.has(data)) {
    for (const res of run.followers) res.end();
    run.followers.clear();
  }
  return event;
}

function status(run, value, extra = {}) {
  append(run, 'status', value, { status: value, ...extra });
}

function enqueue(run) {
  status(run, 'queued');
  waiting.push(run);
  schedule();
}

function schedule() {
  while (running < MAX_CONCURRENT_RUNS && waiting.length > 0) {
    const run = waiting.shift();
    if (run.status !== 'queued') continue;
    running++;
    execute(run);
  }
}

function execute(run) {
  const cwd = path.join(WORKSPACE_ROOT, run.workspaceId || 'default');
  fs.mkdirSync(cwd, { recursive: true });
  const childEnv = { ...process.env };
  delete childEnv.WS_AUTH_TOKEN;
  let child;
  try {
    child = spawn('/bin/sh', ['-c', run.command], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  } catch (err) {
    finish(run, 'failed', { reason: `cannot start: ${err.message}` });
    return;
  }
  run.child = child;
  status(run, 'running');
  const bytes = { stdout: 0, stderr: 0 };
  for (const stream of ['stdout', 'stderr']) {
    const decoder = new StringDecoder('utf8');
    child[stream].on('data', (chunk) => {
      bytes[stream] += chunk.length;
      const text = decoder.write(chunk);
      if (text.length > 0) append(run, stream, text);
    });
    child[stream].on('end', () => {
      const rest = decoder.end();
      if (rest.length > 0) append(run, stream, rest);
    });
  }
  child.on('error', (err) => {
    if (run.status === 'running' && child.pid === undefined) finish(run, 'failed', { reason: `cannot start: ${err.message}` });
  });
  child.on('close', (code, signal) => {
    killGroup(child, 'SIGKILL');
    const exitCode = code ?? 128 + (os.constants.signals[signal] || 0);
    const extra = { exitCode, stdoutBytes: bytes.stdout, stderrBytes: bytes.stderr };
    if (run.cancelRequested) finish(run, 'cancelled', { ...extra, reason: 'cancelled' });
    else if (exitCode === 0) finish(run, 'succeeded', extra);
    else finish(run, 'failed', { ...extra, reason: `exit code ${exitCode}` });
  });
}

function finish(run, value, extra) {
  if (TERMINAL.has(run.status)) return;
  clearTimeout(run.killTimer);
  status(run, value, extra);
  if (run.child) {
    run.child = null;
    running--;
    schedule();
  }
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone
  }
}

function cancel(run) {
  run.cancelRequested = true;
  if (run.status === 'queued') {
    finish(run, 'cancelled', { reason: 'cancelled' });
  } else if (run.child) {
    killGroup(run.child, 'SIGTERM');
    const child = run.child;
    run.killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), CANCEL_GRACE_MS);
  }
}

// ---- Socket.IO ---------------------------------------------------------------------------

function room(runId) {
  return 'run:' + runId;
}

function tokenMatches(candidate) {
  if (typeof candidate !== 'string' || candidate.length === 0) return false;
  const a = crypto.createHash('sha256').update(candidate).digest();
  const b = crypto.createHash('sha256').update(TOKEN).digest();
  return crypto.timingSafeEqual(a, b);
}

function bearer(header) {
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

function authenticate(socket, next) {
  const h = socket.handshake;
  const candidate = [h.auth && h.auth.token, h.query.token, bearer(h.headers.authorization)]
    .find((v) => typeof v === 'string' && v.length > 0);
  next(tokenMatches(candidate) ? undefined : new Error('Unauthorized'));
}

/** Joins the run's room, then replays the retained events after `since` to this socket. */
function subscribe(socket, runId, since) {
  socket.join(room(runId));
  const run = runs.get(runId);
  if (!run) return null;
  const first = run.events.length > 0 ? run.events[0].seq : run.lastSeq + 1;
  if (run.droppedBytes > 0 && since < first - 1) {
    socket.emit('run-event', {
      runId, seq: first - 1, type: 'stderr', data: `\r\n[reference: ${run.droppedBytes} bytes of output dropped here]\r\n`,
      timestamp: new Date().toISOString(), droppedBytes: run.droppedBytes,
    });
  }
  for (const event of run.events) {
    if (event.seq > since) socket.emit('run-event', event);
  }
  return run.status;
}

function onConnection(socket) {
  const q = socket.handshake.query;
  if (typeof q.runId === 'string' && RUN_ID.test(q.runId)) subscribe(socket, q.runId, Number(q.since) || 0);

  socket.on('subscribe', (payload, ack) => {
    const reply = typeof ack === 'function' ? ack : () => {};
    if (!payload || typeof payload !== 'object') return reply({ ok: false, error: 'subscribe expects an object {"runId": string, "since"?: number}' });
    const { runId, since = 0 } = payload;
    if (typeof runId !== 'string' || !RUN_ID.test(runId)) return reply({ ok: false, error: 'runId must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' });
    if (since !== null && (!Number.isInteger(since) || since < 0)) return reply({ ok: false, error: 'since must be a non-negative integer' });
    const value = subscribe(socket, runId, since || 0);
    reply({ ok: true, runId, status: value ?? null });
  });
  socket.on('unsubscribe', (payload, ack) => {
    const reply = typeof ack === 'function' ? ack : () => {};
    if (!payload || typeof payload.runId !== 'string' || !RUN_ID.test(payload.runId)) return reply({ ok: false, error: 'unsubscribe expects {"runId": string}' });
    socket.leave(room(payload.runId));
    reply({ ok: true });
  });
}

// ---- REST --------------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function send(res, statusCode, body) {
  const text = JSON.stringify(body);
  res.writeHead(statusCode, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'payload_too_large', `request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'bad_request', 'the body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

function view(run) {
  const { runId, status: s, command, workspaceId, createdAt, startedAt, finishedAt, exitCode, reason } = run;
  return { runId, status: s, command: command ?? null, workspaceId, createdAt, startedAt, finishedAt, exitCode, reason };
}

function findRun(runId) {
  if (!RUN_ID.test(runId)) throw new HttpError(400, 'bad_request', 'bad run id');
  const run = runs.get(runId);
  if (!run) throw new HttpError(404, 'not_found', `no run ${runId}`);
  return run;
}

async function route(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const parts = url.pathname.split('/').filter(Boolean);
  if (url.pathname === '/healthz') return send(res, 200, { ok: true });
  if (parts[0] !== 'runs') throw new HttpError(404, 'not_found', 'no such route');
  if (!tokenMatches(bearer(req.headers.authorization))) throw new HttpError(401, 'unauthorized', 'Unauthorized');

  if (parts.length === 1) {
    if (req.method === 'POST') {
      const body = await readJson(req);
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'bad_request', 'the body must be a JSON object');
      if (typeof body.command !== 'string' || body.command.trim() === '') throw new HttpError(400, 'bad_request', "'command' must be a non-empty string");
      if (body.workspaceId != null && (typeof body.workspaceId !== 'string' || !RUN_ID.test(body.workspaceId))) throw new HttpError(400, 'bad_request', 'bad workspaceId');
      const run = createRun(newRunId(), body.command, body.workspaceId, false);
      enqueue(run);
      return send(res, 201, { runId: run.runId, status: 'queued' });
    }
    if (req.method === 'GET') {
      const limit = Number(url.searchParams.get('limit') || 50);
      const wanted = url.searchParams.get('status');
      const list = [...runs.values()].filter((r) => r.status && (!wanted || r.status === wanted)).reverse();
      return send(res, 200, list.slice(0, Math.min(limit, 500)).map(view));
    }
    throw new HttpError(405, 'method_not_allowed', 'method not allowed');
  }

  const run = parts[2] === 'events' && req.method === 'POST' ? null : findRun(parts[1]);
  if (parts.length === 2 && req.method === 'GET') return send(res, 200, view(run));
  if (parts.length === 3 && parts[2] === 'log' && req.method === 'GET') {
    const filter = url.searchParams.get('stream');
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    for (const e of run.events) if (e.type !== 'status' && (!filter || e.type === filter)) res.write(e.data);
    if (url.searchParams.get('follow') === 'true' && !TERMINAL.has(run.status)) {
      run.followers.add(res);
      req.on('close', () => run.followers.delete(res));
      return undefined;
    }
    return res.end();
  }
  if (parts.length === 3 && parts[2] === 'cancel' && req.method === 'POST') {
    if (TERMINAL.has(run.status)) return send(res, 409, { runId: run.runId, status: run.status });
    cancel(run);
    return send(res, 200, { runId: run.runId, status: 'cancelled' });
  }
  if (parts.length === 3 && parts[2] === 'events' && req.method === 'POST') {
    if (!RUN_ID.test(parts[1])) throw new HttpError(400, 'bad_request', 'bad run id');
    const events = await readJson(req);
    if (!Array.isArray(events)) throw new HttpError(400, 'bad_request', 'the body must be an array of events');
    let target = runs.get(parts[1]);
    if (target && (!target.external || TERMINAL.has(target.status))) throw new HttpError(409, 'conflict', 'the run does not take published events');
    target ??= createRun(parts[1], null, null, true);
    for (const e of events) {
      if (e.type === 'status') status(target, e.status ?? e.data, { reason: e.reason, exitCode: e.exitCode });
      else append(target, e.type === 'stderr' ? 'stderr' : 'stdout', String(e.data ?? ''));
    }
    return send(res, 202, { ok: true });
  }
  throw new HttpError(404, 'not_found', 'no such route');
}

const httpServer = http.createServer((req, res) => {
  if (req.url.startsWith('/socket.io/')) return; // socket.io's own listener answers
  route(req, res).catch((err) => {
    if (res.headersSent) return res.end();
    const statusCode = err.status || 500;
    send(res, statusCode, { error: { code: err.code || 'internal', message: err.message } });
  });
});

const io = new Server(httpServer, {
  serveClient: false,
  cors: CORS_ORIGINS ? { origin: CORS_ORIGINS.includes('*') ? true : CORS_ORIGINS, credentials: !CORS_ORIGINS.includes('*') } : undefined,
});
for (const name of NAMESPACES) {
  io.of(name).use(authenticate);
  io.of(name).on('connection', onConnection);
}

function shutdown() {
  for (const run of runs.values()) {
    if (run.child) killGroup(run.child, 'SIGKILL');
  }
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

httpServer.listen(PORT, HOST, () => {
  const { port } = httpServer.address();
  console.log(`reference listening on http://${HOST}:${port}`);
});
