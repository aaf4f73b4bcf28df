// A RunsStream client built on the npm socket.io-client, as a frontend would use it.
//
// Usage:
//   node runs-client.mjs --url http://127.0.0.1:PORT --token T [--namespace /|/runs]
//        [--transports default|websocket|polling] [--mode watch|connect]
//        [--run-id ID] [--since N] [--via query|event] [--until terminal|seq:N|none]
//        [--timeout ms] [--text-limit bytes] [--pause-ms N]
//
// mode connect: connects and reports {"connected": bool, "error": message}.
// mode watch:   subscribes to --run-id (by handshake query or the subscribe event), collects
//               run-event until the terminal status (or seq N), and reports counts, sha256 of
//               stdout/stderr, seq checks (gaps, duplicates, out of order), the subscribe ack and
//               the statuses seen, and the `stage` events of a pipeline (their seqs count in the
//               seq checks, as they share the run's seqs). --pause-ms stalls the socket's reading once for that long
//               (a slow subscriber).
// Prints one JSON line; exit code 0 when the run of the script itself worked.
import { io } from "socket.io-client";
import { createHash } from "node:crypto";

const args = { namespace: "/", transports: "default", mode: "watch", via: "event", until: "terminal", timeout: 60000, textLimit: 65536, since: null, pauseMs: 0 };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, "");
  const value = process.argv[i + 1];
  const map = { url: "url", token: "token", namespace: "namespace", transports: "transports", mode: "mode", "run-id": "runId", since: "since", via: "via", until: "until", timeout: "timeout", "text-limit": "textLimit", "pause-ms": "pauseMs" };
  if (!(key in map) || value === undefined) { console.log(JSON.stringify({ ok: false, error: `bad argument --${key}` })); process.exit(1); }
  args[map[key]] = value;
}
args.timeout = Number(args.timeout);
args.textLimit = Number(args.textLimit);
args.pauseMs = Number(args.pauseMs);

let done = false;
function finish(result) {
  if (done) return;
  done = true;
  try { socket.disconnect(); } catch { /* ignore */ }
  process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(result.ok ? 0 : 1));
  setTimeout(() => process.exit(result.ok ? 0 : 1), 500).unref();
}
setTimeout(() => finish({ ok: false, error: `timeout after ${args.timeout} ms`, ...summary() }), args.timeout).unref();

const query = {};
if (args.via === "query" && args.runId) {
  query.runId = args.runId;
  if (args.since !== null) query.since = String(args.since);
}
const options = { auth: { token: args.token }, query, forceNew: true, reconnection: false };
if (args.transports === "websocket") options.transports = ["websocket"];
if (args.transports === "polling") options.transports = ["polling"];
const base = args.url.replace(/\/+$/, "");
const socket = io(args.namespace === "/" ? base : base + args.namespace, options);

const state = {
  events: 0, firstSeq: null, lastSeq: null, gaps: [], duplicates: 0, outOfOrder: 0,
  stdout: createHash("sha256"), stderr: createHash("sha256"), stdoutBytes: 0, stderrBytes: 0,
  stdoutText: "", stderrText: "", text: "", statuses: [], stages: [], terminal: null, markers: [], ack: null, runIds: new Set(), badTimestamps: 0,
};
const isoRe = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function summary() {
  return {
    events: state.events, firstSeq: state.firstSeq, lastSeq: state.lastSeq, gaps: state.gaps.slice(0, 20), duplicates: state.duplicates,
    outOfOrder: state.outOfOrder, stdoutBytes: state.stdoutBytes, stderrBytes: state.stderrBytes,
    stdoutSha256: state.stdout.copy().digest("hex"), stderrSha256: state.stderr.copy().digest("hex"),
    stdoutText: state.stdoutText, stderrText: state.stderrText, text: state.text, statuses: state.statuses, stages: state.stages, terminal: state.terminal,
    markers: state.markers, ack: state.ack, eventsBeforeAck: state.eventsBeforeAck ?? null, runIds: [...state.runIds], badTimestamps: state.badTimestamps,
    transport: socket.io.engine ? socket.io.engine.transport.name : null,
  };
}

function checkSeq(ev) {
  if (state.lastSeq !== null) {
    if (ev.seq === state.lastSeq) state.duplicates++;
    else if (ev.seq < state.lastSeq) state.outOfOrder++;
    // A retention marker stands for the seqs from droppedFromSeq to its own seq.
    else if (ev.seq !== state.lastSeq + 1 && !(ev.droppedFromSeq !== undefined && ev.droppedFromSeq <= state.lastSeq + 1)) state.gaps.push([state.lastSeq, ev.seq]);
  } else {
    state.firstSeq = ev.seq;
  }
  state.lastSeq = Math.max(state.lastSeq ?? 0, ev.seq);
}

function onStage(ev) {
  state.runIds.add(ev.runId);
  if (typeof ev.at !== "string" || !isoRe.test(ev.at)) state.badTimestamps++;
  checkSeq(ev);
  state.stages.push({ ...ev, textAt: state.text.length });
  if (args.until.startsWith("seq:") && ev.seq >= Number(args.until.slice(4))) {
    setImmediate(() => finish({ ok: true, ...summary() }));
  }
}

let paused = false;
function onRunEvent(ev) {
  state.events++;
  state.runIds.add(ev.runId);
  if (typeof ev.timestamp !== "string" || !isoRe.test(ev.timestamp)) state.badTimestamps++;
  checkSeq(ev);
  if (ev.droppedBytes !== undefined) state.markers.push({ seq: ev.seq, droppedBytes: ev.droppedBytes, droppedFromSeq: ev.droppedFromSeq });
  if (ev.type === "stdout" || ev.type === "stderr") {
    const bytes = Buffer.from(ev.data, "utf8");
    state[ev.type].update(bytes);
    state[ev.type + "Bytes"] += bytes.length;
    if (state[ev.type + "Text"].length < args.textLimit) state[ev.type + "Text"] += ev.data;
    if (state.text.length < args.textLimit) state.text += ev.data;
  } else if (ev.type === "status") {
    state.statuses.push(ev.status);
    if (["succeeded", "failed", "cancelled"].includes(ev.status)) {
      state.terminal = ev;
      if (args.until === "terminal") setImmediate(() => finish({ ok: true, ...summary() }));
    }
  }
  if (args.until.startsWith("seq:") && ev.seq >= Number(args.until.slice(4))) {
    setImmediate(() => finish({ ok: true, ...summary() }));
  }
  if (args.pauseMs > 0 && !paused && state.events === 1) {
    // Stall this process's event loop: the socket reads nothing meanwhile (a slow subscriber).
    paused = true;
    const until = Date.now() + args.pauseMs;
    while (Date.now() < until) { /* busy */ }
  }
}

socket.on("run-event", onRunEvent);
socket.on("stage", onStage);
socket.on("connect_error", (err) => {
  if (args.mode === "connect") finish({ ok: true, connected: false, error: err.message });
  else finish({ ok: false, error: `connect_error: ${err.message}`, ...summary() });
});
socket.on("connect", () => {
  if (args.mode === "connect") {
    finish({ ok: true, connected: true, transport: socket.io.engine.transport.name });
    return;
  }
  if (args.via === "event" && args.runId) {
    const payload = { runId: args.runId };
    if (args.since !== null) payload.since = Number(args.since);
    socket.timeout(args.timeout).emit("subscribe", payload, (err, ack) => {
      if (err) finish({ ok: false, error: "subscribe ack timeout", ...summary() });
      state.ack = ack;
      state.eventsBeforeAck = state.events;
      if (ack && ack.ok === false) finish({ ok: true, ...summary() });
    });
  }
  if (args.until === "none") setTimeout(() => finish({ ok: true, ...summary() }), 1000);
});
socket.on("disconnect", (reason) => {
  if (!done) finish({ ok: false, error: `disconnected: ${reason}`, ...summary() });
});
