// Terminal size reports for tty runs: the page emits `resize` {runId, cols, rows} (a Socket.IO
// event with an ack {ok: true} or {ok: false, error}, docs/api.md 7.2) when the terminal of a
// tty run it watches changes size. Dragging a window edge resizes xterm many times a second, so
// reports are debounced: only the size the terminal settles on is sent, and never the size the
// run already has.
//
// The server takes a size only while the run is running: before that ("is not running") and
// after it ("has finished") a report would only earn an error. So reports wait until the run
// is live; the size the terminal has then is sent at once. A refused or unanswered report is
// forgotten, so the same size is sent again on the next chance.
// Timers are passed in, so the rules are unit-tested in node without waiting
// (test/resize.test.js).

export const RESIZE_DEBOUNCE_MS = 250;

/** @typedef {{cols: number, rows: number}} Size */

export class ResizeReporter {
  /**
   * @param {(size: Size, done: (ok: boolean) => void) => void} send
   *   emits the report; `done(ok)` once the server accepted it or not (refused, no answer, offline)
   * @param {{delayMs?: number, setTimer?: (fn: () => void, ms: number) => unknown,
   *          clearTimer?: (id: unknown) => void, initial?: Size | null}} options
   *   initial: the run's own size (GET /runs/{id}), which is not sent again
   */
  constructor(send, { delayMs = RESIZE_DEBOUNCE_MS, setTimer, clearTimer, initial = null } = {}) {
    this.send = send;
    this.delayMs = delayMs;
    // Called bare, never as methods of this object: a browser's setTimeout throws "Illegal
    // invocation" when its `this` is not the window.
    this.setTimer = setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = clearTimer ?? ((id) => clearTimeout(id));
    /** The size the run has (as far as the page knows): its own, or the last one it took. */
    this.sent = copy(initial);
    /** The size the terminal on screen has, or null before it reported one. */
    this.size = null;
    this.live = false;
    this.timer = null;
    this.attempt = 0;
    this.disposed = false;
  }

  /** The run's own size, once the page knows it; only while nothing was sent yet. */
  knowRunSize(size) {
    if (this.sent === null && this.attempt === 0) this.sent = copy(size);
  }

  /** The terminal now has this size. */
  resized(cols, rows) {
    if (this.disposed || !(cols > 0) || !(rows > 0)) return;
    this.size = { cols, rows };
    if (this.live) this.schedule(this.delayMs);
  }

  /** Sends the terminal's size again if the run does not have it (e.g. after a reconnect). */
  retry() {
    if (this.live) this.schedule(0);
  }

  /** Whether the run takes sizes now (a tty run that is running); becoming live reports at once. */
  setLive(live) {
    if (this.disposed || live === this.live) return;
    this.live = live;
    if (live) this.schedule(0);
    else this.cancelTimer();
  }

  schedule(delayMs) {
    this.cancelTimer();
    this.timer = this.setTimer(() => this.fire(), delayMs);
  }

  cancelTimer() {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  fire() {
    this.timer = null;
    const size = this.size;
    if (this.disposed || !this.live || !size) return;
    if (this.sent && this.sent.cols === size.cols && this.sent.rows === size.rows) return;
    const before = this.sent;
    const attempt = ++this.attempt;
    this.sent = size;
    this.send(size, (ok) => {
      // Only the newest report's answer counts: an older one may be answered after it.
      if (ok || this.disposed || attempt !== this.attempt) return;
      this.sent = before;
    });
  }

  dispose() {
    this.disposed = true;
    this.cancelTimer();
  }
}

/** Whether a run takes a terminal size now (docs/api.md 7.2): a tty run that is running. */
export const takesSize = (run) => Boolean(run?.tty) && run.status === "running";

/**
 * What a `resize` answer means: accepted, refused with the server's reason, or not sent at all
 * (null: the page was offline, which the connection line already says).
 * @returns {{ok: boolean, error: string | null}}
 */
export function resizeAnswer(ack) {
  if (ack == null) return { ok: false, error: null };
  if (ack.ok === true) return { ok: true, error: null };
  return { ok: false, error: typeof ack.error === "string" && ack.error ? ack.error : "refused" };
}

function copy(size) {
  return size && size.cols > 0 && size.rows > 0 ? { cols: size.cols, rows: size.rows } : null;
}
