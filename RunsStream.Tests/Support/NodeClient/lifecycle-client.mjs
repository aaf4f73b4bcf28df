// Subscribe, subscribe again with since, unsubscribe, and malformed subscribe payloads,
// on one socket.io-client connection. Prints one JSON line.
import { io } from "socket.io-client";

const arg = (name) => process.argv[process.argv.indexOf(`--${name}`) + 1];
const url = arg("url"), token = arg("token"), runId = arg("run-id");
const socket = io(url, { auth: { token }, transports: ["websocket"], forceNew: true, reconnection: false });
const out = { ok: false, first: [], second: [], afterUnsubscribe: 0 };
let phase = "first";
const finish = (extra) => { socket.disconnect(); console.log(JSON.stringify({ ...out, ...extra })); process.exit(0); };
setTimeout(() => finish({ ok: false, error: "timeout" }), 60000).unref();
const ack = (event, payload) => new Promise((resolve) => socket.timeout(20000).emit(event, payload, (err, answer) => resolve(err ? { timeout: true } : answer)));
const terminal = () => new Promise((resolve) => { const h = (ev) => { if (["succeeded", "failed", "cancelled"].includes(ev.status)) { socket.off("run-event", h); resolve(); } }; socket.on("run-event", h); });

socket.on("run-event", (ev) => {
  if (phase === "first") out.first.push(ev.seq);
  else if (phase === "second") out.second.push(ev.seq);
  else out.afterUnsubscribe++;
});
socket.on("connect_error", (e) => finish({ ok: false, error: e.message }));
socket.on("connect", async () => {
  let done = terminal();
  out.firstAck = await ack("subscribe", { runId });
  await done;
  phase = "second";
  done = terminal();
  out.secondAck = await ack("subscribe", { runId, since: 2 });
  await done;
  phase = "after";
  out.unsubscribeAck = await ack("unsubscribe", { runId });
  out.nonObjectAck = await ack("subscribe", "just a string");
  out.badSinceAck = await ack("subscribe", { runId, since: -4 });
  // Anything still arriving for the unsubscribed run would be counted meanwhile.
  await new Promise((r) => setTimeout(r, 300));
  finish({ ok: true });
});
