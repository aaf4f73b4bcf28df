// The Socket.IO connection (socket.io-client, default transports: polling, then the upgrade
// to WebSocket) and the subscription to the run on screen.
//
// Every event of a run has a seq. The page remembers the last one it took; events at or below
// it are ignored, and every (re)subscribe asks for `since` = that seq. So after a dropped
// connection (server restart, network, "slow consumer") the reconnect resumes exactly where
// the output stopped: no line lost, none doubled.
import { io } from "socket.io-client";
import { EXPIRED } from "./auth-text.js";

export const NAMESPACE = "/runs";
const RESIZE_ACK_MS = 10000;

export class RunsConnection {
  /**
   * @param {{getToken: () => string, onState: (state: string, text: string) => void,
   *          onEvent: (ev: object) => void, onStage: (ev: object) => void,
   *          onAck: (runId: string, ack: object) => void,
   *          onUnauthorized: (reason: string) => void}} hooks
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.current = null;
    const socket = (this.socket = io(NAMESPACE, {
      auth: (cb) => cb({ token: hooks.getToken() }),
      autoConnect: false,
    }));

    socket.on("connect", () => {
      const engine = socket.io.engine;
      this.reportConnected();
      engine.once("upgrade", () => this.reportConnected());
      const c = this.current;
      if (c && !c.paused) this.subscribe(c);
    });
    socket.on("disconnect", (reason) => {
      if (reason === "io client disconnect") {
        hooks.onState("offline", "Disconnected");
        return;
      }
      hooks.onState("reconnecting", `Connection lost (${reason}); reconnecting…`);
      // The server closed this socket on purpose (e.g. it was a slow consumer): the client
      // does not retry by itself in that case, but the page should.
      if (reason === "io server disconnect") socket.connect();
    });
    socket.on("connect_error", (err) => {
      if (err?.message === "Unauthorized" || err?.message === EXPIRED) {
        hooks.onState("unauthorized", err.message === EXPIRED ? "Token expired" : "Token refused");
        hooks.onUnauthorized(err.message);
        return;
      }
      hooks.onState("reconnecting", `Cannot reach the server (${err?.message ?? "error"}); retrying…`);
    });
    socket.io.on("reconnect_attempt", (attempt) => {
      hooks.onState("reconnecting", `Reconnecting (attempt ${attempt})…`);
    });
    // The server ends a socket when its token expires, and says so first (docs/api.md section 2).
    socket.on("token-expired", () => {
      hooks.onState("unauthorized", "Token expired");
      hooks.onUnauthorized(EXPIRED);
    });
    socket.on("run-event", (ev) => {
      if (this.take(ev)) hooks.onEvent(ev);
    });
    // A pipeline's stage events share the run's seqs (docs/api.md 7.1), so they move lastSeq
    // too and a resume with `since` neither repeats nor skips them.
    socket.on("stage", (ev) => {
      if (this.take(ev)) hooks.onStage(ev);
    });
  }

  /** Whether an event is the next one of the run on screen (and then remembers its seq). */
  take(ev) {
    const c = this.current;
    if (!c || ev?.runId !== c.runId || !(ev.seq > c.lastSeq)) return false;
    c.lastSeq = ev.seq;
    return true;
  }

  /**
   * Tells the server the terminal of a tty run now has this size; `done` gets the ack
   * ({ok: true} or {ok: false, error}), {ok: false, error} when no answer came, or null when
   * nothing was sent (offline: an emit made now would be buffered and sent late).
   */
  resize(runId, { cols, rows }, done = () => {}) {
    if (!this.socket.connected) return done(null);
    this.socket.timeout(RESIZE_ACK_MS).emit("resize", { runId, cols, rows }, (err, ack) => {
      done(err ? { ok: false, error: "the server did not answer" } : (ack ?? {}));
    });
  }

  reportConnected() {
    const transport = this.socket.io.engine?.transport?.name ?? "";
    this.hooks.onState("connected", transport === "websocket" ? "Connected (WebSocket)" : `Connected (${transport || "socket"})`);
  }

  start() {
    if (!this.socket.connected) {
      this.hooks.onState("connecting", "Connecting…");
      this.socket.connect();
    }
  }

  stop() {
    this.socket.disconnect();
  }

  /** Shows one run: leaves the previous one and replays this one from its first event. */
  watch(runId) {
    this.unwatch();
    this.current = { runId, lastSeq: 0, paused: false };
    if (this.socket.connected) this.subscribe(this.current);
  }

  unwatch() {
    const c = this.current;
    this.current = null;
    if (c && !c.paused && this.socket.connected) this.socket.emit("unsubscribe", { runId: c.runId });
  }

  /** Flow control: stop taking events until resume() (the server keeps them). */
  pause() {
    const c = this.current;
    if (!c || c.paused) return;
    c.paused = true;
    if (this.socket.connected) this.socket.emit("unsubscribe", { runId: c.runId });
  }

  resume() {
    const c = this.current;
    if (!c || !c.paused) return;
    c.paused = false;
    if (this.socket.connected) this.subscribe(c);
  }

  get lastSeq() {
    return this.current?.lastSeq ?? 0;
  }

  subscribe(c) {
    // Only while connected: an emit made offline would be buffered and sent on reconnect,
    // next to the subscribe that the "connect" handler sends.
    this.socket.emit("subscribe", { runId: c.runId, since: c.lastSeq }, (ack) => {
      if (this.current === c) this.hooks.onAck(c.runId, ack ?? {});
    });
  }
}
