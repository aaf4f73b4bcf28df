// Real socket.io-client 2.x (Engine.IO v3, Socket.IO protocol v4) driver, for servers with
// ALLOW_EIO3. The package is installed under the alias socket.io-client-v2.
//
// Usage:
//   node driver-v2.mjs --url http://127.0.0.1:PORT --transports default|websocket|polling \
//                      --scenario NAME [--token T] [--run-id ID] [--timeout ms]
//                      [--namespace /|/runs] [--via query|header]
//
// Scenarios against the scenario host (ScenarioHost.cs): connect, heartbeat, echo-text,
// echo-binary, ack-binary, ack-server, namespace-query, refused-auth, unknown-namespace,
// server-disconnect. Against the runs server: watch-run (token in the handshake query,
// subscribe with ack, the run's events to its terminal status, then disconnect), and
// connect-only (reports whether the client got in). --via header sends the token as an
// Authorization header (extraHeaders, Node only) instead of in the query.
// Prints one JSON line {"ok":...}; every wait is bounded by --timeout.
import io from "socket.io-client-v2";
import { createHash } from "node:crypto";

const opts = { transports: "default", timeout: 15000, token: "good", runId: null, namespace: "/", via: "query" };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, "");
  const map = { url: "url", transports: "transports", scenario: "scenario", timeout: "timeout", token: "token", "run-id": "runId", namespace: "namespace", via: "via" };
  if (!(key in map) || process.argv[i + 1] === undefined) { console.log(JSON.stringify({ ok: false, error: `bad argument ${process.argv[i]}` })); process.exit(1); }
  opts[map[key]] = process.argv[i + 1];
}
opts.timeout = Number(opts.timeout);
opts.url = opts.url.replace(/\/+$/, "");

const sockets = [];
let finished = false;
function finish(result) {
  if (finished) return;
  finished = true;
  for (const s of sockets) { try { s.close(); } catch { /* ignore */ } }
  process.stdout.write(JSON.stringify({ scenario: opts.scenario, transports: opts.transports, ...result }) + "\n", () => process.exit(result.ok ? 0 : 1));
  setTimeout(() => process.exit(result.ok ? 0 : 1), 500).unref();
}
setTimeout(() => finish({ ok: false, error: `timeout after ${opts.timeout} ms` }), opts.timeout).unref();

/** The runs server's client: the token in the query (v2 has no auth payload) or a header. */
function connectWithToken() {
  if (opts.via === "header") return connect(opts.namespace, {}, { extraHeaders: { Authorization: `Bearer ${opts.token}` } });
  return connect(opts.namespace, { token: opts.token });
}

function connect(nsp, query = { token: opts.token }, extra = {}) {
  const options = { query, forceNew: true, reconnection: false, ...extra };
  if (opts.transports === "websocket") options.transports = ["websocket"];
  if (opts.transports === "polling") options.transports = ["polling"];
  const socket = io(opts.url + nsp, options);
  sockets.push(socket);
  return socket;
}

const once = (socket, event) => new Promise((resolve) => socket.once(event, (...args) => resolve(args)));
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
function assert(condition, message) { if (!condition) throw new Error(message); }
const transportOf = (socket) => socket.io.engine.transport.name;

async function connected(socket) {
  const [outcome, detail] = await Promise.race([
    once(socket, "connect").then(() => ["connect"]),
    once(socket, "error").then(([e]) => ["error", e]),
    once(socket, "connect_error").then(([e]) => ["connect_error", String(e && e.message || e)]),
  ]);
  assert(outcome === "connect", `did not connect: ${outcome} ${JSON.stringify(detail)}`);
}

async function upgradedIfDefault(socket) {
  if (opts.transports !== "default") return transportOf(socket);
  if (transportOf(socket) !== "websocket") await once(socket.io.engine, "upgrade");
  return transportOf(socket);
}

const TEXT = "héllo ☃ \u{1F600} ünïcode";
const scenarios = {
  async connect() {
    const s = connect("/");
    await connected(s);
    const transport = await upgradedIfDefault(s);
    return { id: s.id, transport, protocol: s.io.engine.transport.query.EIO };
  },
  async heartbeat() {
    // pingInterval and pingTimeout are 2 s each: the client must ping and get pongs for 6 s.
    const s = connect("/");
    await connected(s);
    let pongs = 0;
    s.on("pong", () => pongs++);
    let reason = null;
    s.on("disconnect", (r) => { reason = r; });
    await delay(6000);
    assert(reason === null, `disconnected: ${reason}`);
    assert(pongs >= 2, `only ${pongs} pongs in 6 s`);
    return { pongs, transport: transportOf(s) };
  },
  async "echo-text"() {
    const s = connect("/");
    await connected(s);
    await upgradedIfDefault(s);
    const back = once(s, "message-back");
    s.emit("message", TEXT, { n: 1, list: [TEXT] });
    const args = await back;
    assert(JSON.stringify(args) === JSON.stringify([TEXT, { n: 1, list: [TEXT] }]), `echo was ${JSON.stringify(args)}`);
    return { transport: transportOf(s) };
  },
  async "echo-binary"() {
    const s = connect("/");
    await connected(s);
    await upgradedIfDefault(s);
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
    const back = once(s, "message-back");
    s.emit("message", data, { nested: Buffer.from([1, 2, 3]), text: TEXT });
    const args = await back;
    assert(Buffer.isBuffer(args[0]) && args[0].equals(data), "first attachment differs");
    assert(Buffer.isBuffer(args[1].nested) && args[1].nested.equals(Buffer.from([1, 2, 3])), "nested attachment differs");
    assert(args[1].text === TEXT, "text beside the attachments differs");
    return { transport: transportOf(s) };
  },
  async "ack-binary"() {
    const s = connect("/");
    await connected(s);
    await upgradedIfDefault(s);
    const data = Buffer.from([0, 255, 128, 7]);
    const answer = await new Promise((resolve) => s.emit("message-with-ack", data, "x", (...args) => resolve(args)));
    assert(Buffer.isBuffer(answer[0]) && answer[0].equals(data) && answer[1] === "x", `ack was ${JSON.stringify(answer)}`);
    return { transport: transportOf(s) };
  },
  async "ack-server"() {
    const s = connect("/");
    await connected(s);
    s.on("server-ack-request", (value, ack) => ack({ got: value }));
    const result = once(s, "server-ack-result");
    s.emit("request-server-ack", 42);
    const [answer] = await result;
    assert(JSON.stringify(answer) === JSON.stringify([{ got: 42 }]), `server ack result ${JSON.stringify(answer)}`);
    return {};
  },
  async "namespace-query"() {
    // The CONNECT of another namespace carries the query ("40/custom?token=good,"): it is the auth.
    const s = connect("/custom", { token: "good", extra: "yes" });
    const auth = once(s, "auth");
    await connected(s);
    const [value] = await auth;
    assert(value.token === "good" && value.extra === "yes", `auth was ${JSON.stringify(value)}`);
    return { auth: value };
  },
  async "refused-auth"() {
    const s = connect("/custom", { token: "bad" });
    const [error] = await once(s, "error");
    assert(error === "Unauthorized", `error was ${JSON.stringify(error)}`);
    return { error };
  },
  async "unknown-namespace"() {
    const s = connect("/nope");
    const [error] = await once(s, "error");
    assert(error === "Invalid namespace", `error was ${JSON.stringify(error)}`);
    return { error };
  },
  async "server-disconnect"() {
    const s = connect("/");
    await connected(s);
    const gone = once(s, "disconnect");
    s.emit("disconnect-me");
    const [reason] = await gone;
    assert(reason === "io server disconnect", `reason was ${reason}`);
    return { reason };
  },
  async "connect-only"() {
    const s = connectWithToken();
    const [outcome, detail] = await Promise.race([
      once(s, "connect").then(() => ["connect"]),
      once(s, "error").then(([e]) => ["error", e]),
      once(s, "connect_error").then(([e]) => ["connect_error", String(e && e.message || e)]),
    ]);
    return { connected: outcome === "connect", outcome, detail: detail ?? null };
  },
  async "watch-run"() {
    const s = connectWithToken();
    await connected(s);
    const transport = await upgradedIfDefault(s);
    const state = { events: 0, seqs: [], statuses: [], stdout: createHash("sha256"), stdoutText: "", ack: null };
    const terminal = new Promise((resolve) => s.on("run-event", (ev) => {
      state.events++;
      state.seqs.push(ev.seq);
      if (ev.type === "stdout") { state.stdout.update(Buffer.from(ev.data, "utf8")); state.stdoutText += ev.data; }
      if (ev.type === "status") {
        state.statuses.push(ev.status);
        if (["succeeded", "failed", "cancelled"].includes(ev.status)) resolve(ev);
      }
    }));
    state.ack = await new Promise((resolve) => s.emit("subscribe", { runId: opts.runId }, resolve));
    const end = await terminal;
    const gone = once(s, "disconnect");
    s.disconnect();
    const [reason] = await gone;
    const inOrder = state.seqs.every((seq, i) => i === 0 || seq === state.seqs[i - 1] + 1);
    return {
      transport, ack: state.ack, events: state.events, inOrder, statuses: state.statuses, exitCode: end.exitCode ?? null,
      stdoutText: state.stdoutText.slice(0, 65536), stdoutSha256: state.stdout.digest("hex"), disconnect: reason,
    };
  },
};

const scenario = scenarios[opts.scenario];
if (!scenario) finish({ ok: false, error: `unknown scenario ${opts.scenario}` });
else scenario().then((details) => finish({ ok: true, ...details }), (e) => finish({ ok: false, error: String(e && e.stack || e) }));
