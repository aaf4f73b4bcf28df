// A socket.io-client (npm, 4.8) behind a round-robin load balancer with no sticky sessions:
// connects once (no reconnection, so any drop shows), subscribes to each of --run-ids (one per
// node; only the node holding the session knows its own run: its ack alone carries a status),
// emits an "unsubscribe" (of a run it never subscribed to) with an ack every 2 s for the whole
// stay (each emit is a request the balancer may send to any node), and streams its run.
//
// Usage:
//   node fleet-client.mjs --url http://127.0.0.1:PORT --token T --transports polling|default
//        --run-ids ID,ID --stay-ms N [--timeout ms]
//
// Finishes when --stay-ms has passed and the subscribed run (if any) has ended, or on the
// first disconnect. Prints one JSON line.
import { io } from "socket.io-client";

const args = { transports: "default", runIds: "", stayMs: 0, timeout: 180000 };
for (let i = 2; i < process.argv.length; i += 2) {
  const map = { "--url": "url", "--token": "token", "--transports": "transports", "--run-ids": "runIds", "--stay-ms": "stayMs", "--timeout": "timeout" };
  const key = map[process.argv[i]];
  if (!key || process.argv[i + 1] === undefined) { console.log(JSON.stringify({ ok: false, error: `bad argument ${process.argv[i]}` })); process.exit(1); }
  args[key] = process.argv[i + 1];
}
const runIds = args.runIds ? args.runIds.split(",") : [];
const stayMs = Number(args.stayMs);

const options = { auth: { token: args.token }, forceNew: true, reconnection: false };
if (args.transports === "polling") options.transports = ["polling"];
const socket = io(args.url, options);

const state = {
  connectedAt: null, engineId: null, engineIdChanged: false, upgradedTo: null, disconnect: null,
  subscribeAcks: {}, pingAcks: 0, pingAckFailures: 0, events: 0, runId: null, lastSeq: null, gaps: 0, duplicates: 0,
  text: "", terminal: null,
};
let done = false;
function finish(ok, error) {
  if (done) return;
  done = true;
  const result = {
    ok, error, transport: socket.io.engine ? socket.io.engine.transport.name : null,
    stayedMs: state.connectedAt === null ? 0 : Date.now() - state.connectedAt, ...state,
  };
  try { socket.disconnect(); } catch { /* closing anyway */ }
  process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(ok ? 0 : 1));
}
setTimeout(() => finish(false, `timeout after ${args.timeout} ms`), Number(args.timeout)).unref();

function maybeDone() {
  const stayed = state.connectedAt !== null && Date.now() - state.connectedAt >= stayMs;
  const ended = state.runId === null || state.terminal !== null;
  // The upgrade may complete before the Socket.IO CONNECT is answered: the transport tells.
  if (state.upgradedTo === null && socket.io.engine && socket.io.engine.transport.name === "websocket") state.upgradedTo = "websocket";
  const upgraded = args.transports !== "default" || state.upgradedTo !== null;
  const answered = Object.keys(state.subscribeAcks).length === runIds.length;
  if (stayed && ended && upgraded && answered) finish(true);
}

socket.on("connect_error", (err) => finish(false, `connect_error: ${err.message}`));
socket.on("disconnect", (reason) => { state.disconnect = reason; finish(false, `disconnected: ${reason}`); });
socket.on("run-event", (ev) => {
  state.events++;
  if (state.lastSeq !== null) {
    if (ev.seq <= state.lastSeq) state.duplicates++;
    else if (ev.seq !== state.lastSeq + 1) state.gaps++;
  }
  state.lastSeq = Math.max(state.lastSeq ?? 0, ev.seq);
  if (ev.type === "stdout") state.text += ev.data;
  if (ev.type === "status" && ["succeeded", "failed", "cancelled"].includes(ev.status)) { state.terminal = ev.status; maybeDone(); }
});
socket.on("connect", () => {
  state.connectedAt = Date.now();
  state.engineId = socket.io.engine.id;
  socket.io.engine.on("upgrade", (transport) => { state.upgradedTo = transport.name; maybeDone(); });
  for (const runId of runIds) {
    socket.timeout(20000).emit("subscribe", { runId }, (err, ack) => {
      state.subscribeAcks[runId] = err ? { ok: false, error: "ack timeout" } : ack;
      // A run this node does not know is subscribed to as well (it may be created later), with
      // no status: the run with a status is the one on the node holding the session.
      if (!err && ack && ack.ok && typeof ack.status === "string") state.runId = runId;
      maybeDone();
    });
  }
  const pinger = setInterval(() => {
    if (socket.io.engine.id !== state.engineId) state.engineIdChanged = true;
    socket.timeout(20000).emit("unsubscribe", { runId: "never-subscribed" }, (err, ack) => {
      if (err || !ack || ack.ok !== true) state.pingAckFailures++;
      else state.pingAcks++;
    });
    maybeDone();
  }, 2000);
  pinger.unref();
  setTimeout(maybeDone, stayMs).unref();
});
