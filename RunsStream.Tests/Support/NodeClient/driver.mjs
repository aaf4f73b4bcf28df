// Real socket.io-client test driver.
//
// Usage:
//   node driver.mjs --url http://127.0.0.1:PORT --transports default|websocket|polling \
//                   --scenario NAME [--timeout ms] [--token TOKEN]
//
// Runs exactly one scenario and prints exactly one JSON line to stdout:
//   {"ok":true,"scenario":...,"transports":...,...details}
//   {"ok":false,"scenario":...,"transports":...,"error":"..."}
// Exit code is 0 only when ok. Every wait is bounded by --timeout (default 15000 ms),
// and a global watchdog guarantees the process always terminates.
import { io, Manager } from "socket.io-client";
import { isDeepStrictEqual } from "node:util";

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const out = { transports: "default", timeout: 15000, token: "good" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument: ${a}`);
    const key = a.slice(2);
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`missing value for ${a}`);
    i++;
    switch (key) {
      case "url": out.url = value.replace(/\/+$/, ""); break;
      case "transports": out.transports = value; break;
      case "scenario": out.scenario = value; break;
      case "timeout": out.timeout = Number(value); break;
      case "token": out.token = value; break;
      default: throw new Error(`unknown option: ${a}`);
    }
  }
  if (!out.url) throw new Error("--url is required");
  if (!out.scenario) throw new Error("--scenario is required");
  if (!["default", "websocket", "polling"].includes(out.transports)) {
    throw new Error(`--transports must be default|websocket|polling, got ${out.transports}`);
  }
  if (!Number.isFinite(out.timeout) || out.timeout <= 0) throw new Error("--timeout must be a positive number");
  return out;
}

// ---------------------------------------------------------------- output / exit

let finished = false;
const openThings = new Set(); // sockets and managers to close on exit
let baseInfo = {};

function closeAll() {
  for (const thing of openThings) {
    try {
      if (typeof thing.disconnect === "function") thing.disconnect();
      if (thing.engine && typeof thing.engine.close === "function") thing.engine.close();
    } catch { /* ignore */ }
  }
  openThings.clear();
}

function finish(result) {
  if (finished) return;
  finished = true;
  closeAll();
  const line = JSON.stringify({ ok: result.ok, ...baseInfo, ...result });
  process.stdout.write(line + "\n", () => process.exit(result.ok ? 0 : 1));
  // Safety net in case the write callback never fires.
  setTimeout(() => process.exit(result.ok ? 0 : 1), 500).unref();
}

function fail(err) {
  const message = err instanceof Error ? err.message : String(err);
  finish({ ok: false, error: message });
}

process.on("uncaughtException", (e) => fail(new Error(`uncaughtException: ${e && e.message}`)));
process.on("unhandledRejection", (e) => fail(new Error(`unhandledRejection: ${e && e.message}`)));

// ---------------------------------------------------------------- helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wait for `event` on `emitter`; resolves with the array of event args. */
function waitFor(emitter, event, timeoutMs, what = event) {
  return new Promise((resolve, reject) => {
    const handler = (...args) => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`timeout after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    emitter.once(event, handler);
  });
}

/** Wait for a "connect"; rejects early on connect_error. */
function waitConnect(socket, timeoutMs, what = "connect") {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onConnect = () => { cleanup(); resolve(); };
    const onError = (err) => { cleanup(); reject(new Error(`connect_error while waiting for ${what}: ${err && err.message}`)); };
    const timer = setTimeout(() => { cleanup(); reject(new Error(`timeout after ${timeoutMs} ms waiting for ${what}`)); }, timeoutMs);
    function cleanup() {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    }
    socket.once("connect", onConnect);
    socket.once("connect_error", onError);
  });
}

/** Emit with a callback ack and resolve with ALL ack arguments. */
function emitWithAckAll(socket, timeoutMs, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, ...args, (err, ...ackArgs) => {
      if (err) reject(new Error(`ack timeout after ${timeoutMs} ms for ${event}`));
      else resolve(ackArgs);
    });
  });
}

/** Convert binary values into a comparable/serialisable form. */
function normalize(value) {
  if (Buffer.isBuffer(value)) return { $bin: [...value] };
  if (value instanceof ArrayBuffer) return { $bin: [...new Uint8Array(value)] };
  if (ArrayBuffer.isView(value)) return { $bin: [...new Uint8Array(value.buffer, value.byteOffset, value.byteLength)] };
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === "object") {
    const o = {};
    for (const k of Object.keys(value)) o[k] = normalize(value[k]);
    return o;
  }
  return value;
}

function binaryKind(value) {
  if (Buffer.isBuffer(value)) return "Buffer";
  if (value instanceof ArrayBuffer) return "ArrayBuffer";
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value;
}

function assertDeepEqual(actual, expected, what) {
  const a = normalize(actual);
  const e = normalize(expected);
  if (!isDeepStrictEqual(a, e)) {
    throw new Error(`${what}: expected ${JSON.stringify(e)} but got ${JSON.stringify(a)}`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// ---------------------------------------------------------------- scenarios

function makeContext(opts) {
  const baseOptions = {
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    timeout: opts.timeout, // connection timeout of the Manager
  };
  if (opts.transports === "websocket") baseOptions.transports = ["websocket"];
  else if (opts.transports === "polling") baseOptions.transports = ["polling"];

  const ctx = {
    url: opts.url,
    mode: opts.transports,
    timeout: opts.timeout,
    token: opts.token,
    baseOptions,
    /** Create a socket (own Manager) for url + nsp. */
    connect(nsp = "/", token = opts.token, extra = {}) {
      const s = io(opts.url + (nsp === "/" ? "" : nsp), { ...baseOptions, auth: { token }, ...extra });
      openThings.add(s);
      return s;
    },
    /** Wait for the engine to be on websocket (default mode). */
    async waitUpgrade(socket) {
      const engine = socket.io.engine;
      if (engine.transport && engine.transport.name === "websocket") return true;
      await waitFor(engine, "upgrade", opts.timeout, "engine upgrade");
      return engine.transport.name === "websocket";
    },
  };
  return ctx;
}

const scenarios = {
  // 1
  async "connect-auth"(ctx) {
    const s = ctx.connect();
    const authP = waitFor(s, "auth", ctx.timeout, "auth event");
    await waitConnect(s, ctx.timeout);
    const [auth] = await authP;
    assertDeepEqual(auth, { token: ctx.token }, "auth event payload");
    const details = { socketIdPresent: typeof s.id === "string" && s.id.length > 0 };
    if (ctx.mode === "default") {
      details.upgraded = await ctx.waitUpgrade(s);
      assert(details.upgraded, "engine did not upgrade to websocket");
    }
    details.transport = s.io.engine.transport.name;
    return details;
  },

  // 2
  async "refused-auth"(ctx) {
    let connected = false;
    const s = ctx.connect("/", "bad");
    s.on("connect", () => { connected = true; });
    const [err] = await waitFor(s, "connect_error", ctx.timeout);
    assert(err && err.message === "Unauthorized", `expected connect_error "Unauthorized", got ${JSON.stringify(err && err.message)}`);
    await sleep(300); // give a stray "connect" a chance to show up
    assert(!connected, "socket connected although auth token was bad");
    return { connectError: err.message, active: s.active };
  },

  // 3
  async "echo-text"(ctx) {
    const s = ctx.connect();
    await waitConnect(s, ctx.timeout);
    const expected = [1, "2", { 3: [true] }];
    const p = waitFor(s, "message-back", ctx.timeout);
    s.emit("message", ...expected);
    const args = await p;
    assertDeepEqual(args, expected, "message-back args");
    return { args, transport: s.io.engine.transport.name };
  },

  // 4
  async "echo-binary"(ctx) {
    const s = ctx.connect();
    await waitConnect(s, ctx.timeout);
    const sent = [Buffer.from([1, 2, 3]), { a: Buffer.from([4, 5]) }];
    const p = waitFor(s, "message-back", ctx.timeout);
    s.emit("message", ...sent);
    const args = await p;
    assertDeepEqual(args, sent, "message-back binary args");
    return {
      args: normalize(args),
      receivedTypes: [binaryKind(args[0]), binaryKind(args[1] && args[1].a)],
      transport: s.io.engine.transport.name,
    };
  },

  // 5
  async "ack-client"(ctx) {
    const s = ctx.connect();
    await waitConnect(s, ctx.timeout);
    const all = await emitWithAckAll(s, ctx.timeout, "message-with-ack", "x", { y: 1 });
    assertDeepEqual(all, ["x", { y: 1 }], "ack args (callback form)");
    // emitWithAck resolves with the first ack argument only.
    const first = await s.timeout(ctx.timeout).emitWithAck("message-with-ack", "x", { y: 1 });
    assertDeepEqual(first, "x", "emitWithAck result");
    return { ackArgs: all, emitWithAckResult: first };
  },

  // 6
  async "ack-server"(ctx) {
    const s = ctx.connect();
    let requestPayload;
    s.on("server-ack-request", (payload, ack) => {
      requestPayload = payload;
      ack("got", payload);
    });
    await waitConnect(s, ctx.timeout);
    const p = waitFor(s, "server-ack-result", ctx.timeout);
    s.emit("request-server-ack", { n: 42 });
    const [result] = await p;
    assertDeepEqual(requestPayload, { n: 42 }, "server-ack-request payload");
    assertDeepEqual(result, ["got", { n: 42 }], "server-ack-result");
    return { result };
  },

  // 7
  async "two-namespaces"(ctx) {
    const manager = new Manager(ctx.url, { ...ctx.baseOptions });
    openThings.add(manager);
    const auth = { token: ctx.token };
    const root = manager.socket("/", { auth });
    const custom = manager.socket("/custom", { auth });
    openThings.add(root);
    openThings.add(custom);
    const authRoot = waitFor(root, "auth", ctx.timeout, "auth on /");
    const authCustom = waitFor(custom, "auth", ctx.timeout, "auth on /custom");
    await Promise.all([waitConnect(root, ctx.timeout, "connect /"), waitConnect(custom, ctx.timeout, "connect /custom")]);
    const engineIdAtConnect = manager.engine.id;
    assertDeepEqual((await authRoot)[0], auth, "auth on /");
    assertDeepEqual((await authCustom)[0], auth, "auth on /custom");

    const pRoot = waitFor(root, "message-back", ctx.timeout, "message-back on /");
    const pCustom = waitFor(custom, "message-back", ctx.timeout, "message-back on /custom");
    root.emit("message", "root", 1);
    custom.emit("message", "custom", 2);
    const [backRoot, backCustom] = await Promise.all([pRoot, pCustom]);
    assertDeepEqual(backRoot, ["root", 1], "echo on /");
    assertDeepEqual(backCustom, ["custom", 2], "echo on /custom");

    assert(root.io === custom.io, "sockets do not share a Manager");
    assert(manager.engine.id === engineIdAtConnect, "engine id changed during scenario");
    assert(root.id !== custom.id, "both namespaces got the same socket id");
    return {
      engineId: manager.engine.id,
      sameEngine: true,
      distinctSocketIds: true,
      transport: manager.engine.transport.name,
    };
  },

  // 8
  async "server-disconnect"(ctx) {
    const s = ctx.connect();
    await waitConnect(s, ctx.timeout);
    let reconnects = 0;
    s.on("connect", () => { reconnects++; });
    s.io.on("reconnect_attempt", () => { reconnects++; });
    const p = waitFor(s, "disconnect", ctx.timeout);
    s.emit("disconnect-me");
    const [reason] = await p;
    assert(reason === "io server disconnect", `expected reason "io server disconnect", got ${JSON.stringify(reason)}`);
    await sleep(1000);
    assert(reconnects === 0, `unexpected reconnect (${reconnects} connect/reconnect_attempt events)`);
    assert(!s.connected, "socket is connected again");
    return { reason, active: s.active, reconnects };
  },

  // 9
  async "reconnect-after-drop"(ctx) {
    const s = ctx.connect();
    await waitConnect(s, ctx.timeout);
    const oldId = s.id;
    const oldEngineId = s.io.engine.id;
    const pDisc = waitFor(s, "disconnect", ctx.timeout);
    s.emit("drop-me");
    const [reason] = await pDisc;
    assert(reason === "transport close" || reason === "transport error",
      `expected reason "transport close"/"transport error", got ${JSON.stringify(reason)}`);
    await waitConnect(s, ctx.timeout, "reconnect");
    const newId = s.id;
    assert(newId && newId !== oldId, `socket id did not change after reconnect (${oldId} -> ${newId})`);
    const p = waitFor(s, "message-back", ctx.timeout, "message-back after reconnect");
    s.emit("message", "after-reconnect");
    const args = await p;
    assertDeepEqual(args, ["after-reconnect"], "echo after reconnect");
    return { reason, idChanged: true, engineIdChanged: s.io.engine.id !== oldEngineId, recovered: s.recovered === true };
  },

  // 10
  async rooms(ctx) {
    const a = ctx.connect();
    const b = ctx.connect();
    const c = ctx.connect();
    await Promise.all([a, b, c].map((s, i) => waitConnect(s, ctx.timeout, `connect #${i}`)));
    const [ja] = await emitWithAckAll(a, ctx.timeout, "join", "r1");
    const [jb] = await emitWithAckAll(b, ctx.timeout, "join", "r1");
    assert(ja === true && jb === true, `join ack expected true, got ${ja}/${jb}`);
    let cGot = 0;
    c.on("room-message", () => { cGot++; });
    const pa = waitFor(a, "room-message", ctx.timeout, "room-message on a");
    const pb = waitFor(b, "room-message", ctx.timeout, "room-message on b");
    const payload = { hello: "r1" };
    a.emit("to-room", "r1", payload);
    const [[ma], [mb]] = await Promise.all([pa, pb]);
    assertDeepEqual(ma, payload, "room-message on a");
    assertDeepEqual(mb, payload, "room-message on b");
    await sleep(500);
    assert(cGot === 0, `non-member received ${cGot} room-message(s)`);
    return { membersReceived: 2, nonMemberReceived: cGot };
  },

  // 11
  async "unknown-namespace"(ctx) {
    let connected = false;
    const s = ctx.connect("/nope");
    s.on("connect", () => { connected = true; });
    const [err] = await waitFor(s, "connect_error", ctx.timeout);
    assert(err && err.message === "Invalid namespace", `expected connect_error "Invalid namespace", got ${JSON.stringify(err && err.message)}`);
    assert(!connected, "socket connected to unknown namespace");
    return { connectError: err.message, data: err.data ?? null };
  },
};

// ---------------------------------------------------------------- main

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    fail(e);
    return;
  }
  baseInfo = { scenario: opts.scenario, transports: opts.transports };
  const scenario = scenarios[opts.scenario];
  if (!scenario) {
    fail(new Error(`unknown scenario ${opts.scenario}; known: ${Object.keys(scenarios).join(", ")}`));
    return;
  }
  // Global watchdog: individual waits are bounded, but make sure we always exit.
  setTimeout(() => fail(new Error(`watchdog: scenario did not finish within ${opts.timeout * 3 + 5000} ms`)),
    opts.timeout * 3 + 5000);
  try {
    const details = await scenario(makeContext(opts));
    finish({ ok: true, ...details });
  } catch (e) {
    fail(e);
  }
}

main();
