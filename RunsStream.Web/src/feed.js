// Flow control between the socket and xterm.js.
//
// Socket events are queued here and handed to xterm one chunk at a time: the next chunk goes
// only when xterm's write callback says the previous one was parsed, so xterm's own buffer
// never holds more than one chunk and the tab keeps painting and answering input. When the
// queue grows past HIGH_WATERMARK (the process prints faster than xterm parses) the feed asks
// to pause: the page unsubscribes from the run, and once the queue drains below LOW_WATERMARK
// it subscribes again with `since` = the last seq it queued. The server keeps the whole log,
// so nothing is lost while paused, and memory stays bounded however much the run prints.
//
// A run that has already finished is replayed in "tail" mode: only its last TAIL_CHARS are
// kept while the replay streams in, and when the terminal status arrives the last
// `tailLines` lines of that (what the scrollback can hold) are written, after a notice of
// how much was left out. A 100 MB log thus opens at its tail in about the time the
// replay takes to arrive, instead of making xterm parse all of it.

export const WRITE_CHUNK = 256 * 1024;
export const HIGH_WATERMARK = 4 * 1024 * 1024;
export const LOW_WATERMARK = 512 * 1024;
export const TAIL_CHARS = 2 * 1024 * 1024;

// ESC c (a full reset: screen and scrollback cleared), then the cursor hidden again.
export const RESET_SCREEN = "\x1bc\x1b[?25l";

export class TerminalFeed {
  /**
   * @param {import("@xterm/xterm").Terminal} term
   * @param {{onPause?: () => void, onResume?: () => void, onWritten?: () => void,
   *          onOmitted?: (chars: number) => void, tailLines?: number}} hooks
   */
  constructor(term, hooks = {}) {
    this.term = term;
    this.tailLines = hooks.tailLines ?? 10000;
    this.hooks = hooks;
    this.queue = [];
    this.queued = 0;
    this.inFlight = false;
    this.paused = false;
    this.disposed = false;
    this.tail = null;
    this.stats = { written: 0, maxQueued: 0, pauses: 0, omitted: 0 };
  }

  /** Characters received but not yet parsed by xterm (the tail buffer included). */
  get pending() {
    return this.queued + (this.inFlight ? 1 : 0) + (this.tail ? this.tail.size : 0);
  }

  push(text) {
    if (this.disposed || !text) return;
    if (this.tail) {
      this.tail.parts.push(text);
      this.tail.size += text.length;
      while (this.tail.parts.length > 1 && this.tail.size - this.tail.parts[0].length >= TAIL_CHARS) {
        const dropped = this.tail.parts.shift();
        this.tail.size -= dropped.length;
        this.tail.omitted += dropped.length;
      }
      return;
    }
    this.queue.push(text);
    this.queued += text.length;
    this.stats.maxQueued = Math.max(this.stats.maxQueued, this.queued);
    if (!this.paused && this.queued > HIGH_WATERMARK) {
      this.paused = true;
      this.stats.pauses++;
      this.hooks.onPause?.();
    }
    this.pump();
  }

  /** Collects only the last TAIL_CHARS until endTail(). */
  beginTail() {
    this.tail = { parts: [], size: 0, omitted: 0 };
  }

  get inTail() {
    return this.tail !== null;
  }

  endTail() {
    const tail = this.tail;
    if (!tail) return;
    this.tail = null;
    let text = tail.parts.join("");
    let omitted = tail.omitted;
    // Lines past what the scrollback holds would only be parsed to be thrown away.
    let cut = text.length;
    for (let lines = 0; cut > 0 && lines <= this.tailLines; lines++) {
      cut = text.lastIndexOf("\n", cut - 1);
      if (cut < 0) break;
    }
    if (cut > 0) {
      omitted += cut + 1;
      text = text.slice(cut + 1);
    }
    if (omitted > 0) {
      this.stats.omitted += omitted;
      const mib = (omitted / 1024 / 1024).toFixed(1);
      this.push(`\x1b[0;2;3m[${mib} MiB of earlier output not shown; "Download log" has the whole log]\x1b[0m\r\n`);
      this.hooks.onOmitted?.(omitted);
    }
    this.push(text);
  }

  /**
   * Shows `text` instead of everything so far (a re-rendering, e.g. a section folded). Text not
   * yet handed to xterm is dropped, since `text` holds it; the reset travels in the stream, so
   * it lands after the chunk xterm is parsing now. Only the tail is written, as for a finished
   * run, so a re-rendering costs what the scrollback can show, not the whole log.
   */
  replace(text) {
    if (this.disposed) return;
    if (this.tail) {
      this.tail.parts = [text];
      this.tail.size = text.length;
      this.tail.omitted = 0;
      return;
    }
    this.queue = [];
    this.queued = 0;
    this.push(RESET_SCREEN);
    this.beginTail();
    this.push(text);
    this.endTail();
  }

  pump() {
    if (this.inFlight || this.queued === 0 || this.disposed) return;
    const parts = [];
    let size = 0;
    while (this.queue.length > 0 && size < WRITE_CHUNK) {
      const head = this.queue[0];
      let room = WRITE_CHUNK - size;
      if (head.length <= room) {
        parts.push(this.queue.shift());
        size += head.length;
      } else {
        // Never split a surrogate pair between two writes.
        const code = head.charCodeAt(room - 1);
        if (code >= 0xd800 && code <= 0xdbff) room--;
        // The pair was the one character left room for: it starts the next chunk. (Without
        // this the loop took empty slices forever and the tab hung.)
        if (room === 0) break;
        parts.push(head.slice(0, room));
        this.queue[0] = head.slice(room);
        size += room;
      }
    }
    const chunk = parts.length === 1 ? parts[0] : parts.join("");
    this.queued -= chunk.length;
    this.inFlight = true;
    this.term.write(chunk, () => {
      this.inFlight = false;
      if (this.disposed) return;
      this.stats.written += chunk.length;
      this.hooks.onWritten?.();
      if (this.paused && this.queued < LOW_WATERMARK) {
        this.paused = false;
        this.hooks.onResume?.();
      }
      this.pump();
    });
  }

  dispose() {
    this.disposed = true;
    this.queue = [];
    this.queued = 0;
    this.tail = null;
  }
}
