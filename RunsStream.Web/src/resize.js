// Terminal size reports for tty runs: the page emits `resize` {runId, cols, rows} (a Socket.IO
// event with an ack {ok: true} or {error}) when the terminal of a tty run it watches changes
// size. Dragging a window edge resizes xterm many times a second, so reports are debounced:
// only the size the terminal settles on is sent, and never the same size twice in a row.
// Timers are passed in, so the rule is unit-tested in node without waiting
// (test/resize.test.js).

export const RESIZE_DEBOUNCE_MS = 250;

export class ResizeReporter {
  /**
   * @param {(size: {cols: number, rows: number}) => void} send
   * @param {{delayMs?: number, setTimer?: typeof setTimeout, clearTimer?: typeof clearTimeout,
   *          initial?: {cols: number, rows: number} | null}} options
   */
  constructor(send, { delayMs = RESIZE_DEBOUNCE_MS, setTimer = setTimeout, clearTimer = clearTimeout, initial = null } = {}) {
    this.send = send;
    this.delayMs = delayMs;
    this.setTimer = setTimer;
    this.clearTimer = clearTimer;
    this.sent = initial ? { cols: initial.cols, rows: initial.rows } : null;
    this.pending = null;
    this.timer = null;
    this.disposed = false;
  }

  /** The terminal now has this size. */
  resized(cols, rows) {
    if (this.disposed || !(cols > 0) || !(rows > 0)) return;
    this.pending = { cols, rows };
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = this.setTimer(() => this.fire(), this.delayMs);
  }

  fire() {
    this.timer = null;
    const size = this.pending;
    this.pending = null;
    if (this.disposed || !size) return;
    if (this.sent && this.sent.cols === size.cols && this.sent.rows === size.rows) return;
    this.sent = size;
    this.send(size);
  }

  dispose() {
    this.disposed = true;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }
}
