// The run on screen: its terminal, the flow-controlled feed into it, the stderr painter, its
// sections (stages and GitLab markers: section-markers.js, section-model.js, sections-view.js),
// its header (command, badge, details, buttons), "follow" and, for a tty run, the size reports.
// Selecting another run disposes all of that and subscribes to the new one; only one run is
// watched at a time.
import { ApiError, UnauthorizedError } from "./api.js";
import { TerminalFeed } from "./feed.js";
import { describeExecution, describeRun, formatBytes, isCancellable, isFinished, runTitle, setBadge, terminalSize } from "./format.js";
import { ResizeReporter, resizeAnswer, takesSize } from "./resize.js";
import { SectionMarkerParser } from "./section-markers.js";
import { SectionModel } from "./section-model.js";
import { SectionsView } from "./sections-view.js";
import { RunTerminal, SCROLLBACK_LINES } from "./terminal.js";
import { StderrPainter, outputText } from "./stderr.js";

export class Selection {
  /**
   * @param {{$: (id: string) => HTMLElement, api: object, runs: import("./run-state.js").RunsState,
   *          connection: import("./connection.js").RunsConnection, list: import("./runs-list.js").RunsList,
   *          notice: (text: string) => void, authFailed: (reason?: string) => void, onRunsChanged: () => void}} deps
   */
  constructor(deps) {
    this.deps = deps;
    /** @type {{runId: string, view: RunTerminal, feed: TerminalFeed, stderr: StderrPainter,
     *          markers: SectionMarkerParser, sections: SectionModel, outline: SectionsView,
     *          resize: ResizeReporter} | null} */
    this.current = null;
    this.follow = true;
  }

  get runId() {
    return this.current?.runId ?? null;
  }

  async select(runId) {
    if (this.current?.runId === runId) return;
    const { $, api, runs, connection, list, notice, authFailed } = this.deps;
    this.close();
    history.replaceState(history.state, "", `${location.pathname}${location.search}#run=${encodeURIComponent(runId)}`);
    const view = new RunTerminal($("terminal"), {
      follow: this.follow,
      onFollowChange: (on) => this.setFollow(on),
      label: `Output of run ${runId}`,
    });
    const feed = new TerminalFeed(view.term, {
      tailLines: SCROLLBACK_LINES,
      onPause: () => connection.pause(),
      onResume: () => connection.resume(),
      onWritten: () => view.afterWrite(),
      onOmitted: (chars) => notice(`Showing the end of this run's output: ${formatBytes(chars)} before it are not shown. "Download log" has all of it.`),
    });
    const current = (this.current = {
      runId, view, feed, stderr: new StderrPainter(),
      markers: new SectionMarkerParser(),
      sections: new SectionModel(),
      outline: new SectionsView($("sections"), (id) => this.toggleSection(id)),
      resize: new ResizeReporter((size, done) => this.reportSize(runId, size, done), { initial: terminalSize(runs.get(runId)) }),
    });
    // The reporter sends only while the run takes a size (a tty run that is running: syncResize).
    current.resize.resized(view.term.cols, view.term.rows);
    view.term.onResize(({ cols, rows }) => current.resize.resized(cols, rows));
    list.setSelected(runId);
    notice("");
    this.renderHeader();

    let run = runs.get(runId);
    if (!run) {
      try {
        run = runs.merge(await api.getRun(runId));
      } catch (err) {
        if (err instanceof UnauthorizedError) return authFailed(err.reason);
        // An unknown id is still watched: an external executor may publish into it later.
        if (err instanceof ApiError && err.status === 404) notice(`The server does not know ${runId} (yet); waiting for its events.`);
        else notice(`Cannot load ${runId}: ${err.message}`);
      }
    }
    if (this.current !== current) return;
    current.resize.knowRunSize(terminalSize(run));
    this.syncResize();
    this.renderSections();
    // A finished run opens at its tail; a live one streams everything.
    if (run && isFinished(run.status)) feed.beginTail();
    connection.watch(runId);
    this.renderHeader();
  }

  close() {
    if (!this.current) return;
    this.deps.connection.unwatch();
    this.current.resize.dispose();
    this.current.outline.dispose();
    this.current.feed.dispose();
    this.current.view.dispose();
    this.current = null;
  }

  /**
   * A run-event from the connection: output goes through the marker parser and the section
   * model to the terminal, a status to the runs.
   */
  onEvent(ev) {
    const current = this.current;
    if (!current || ev.runId !== current.runId) return;
    const { feed, sections } = current;
    if (ev.type === "status") {
      if (isFinished(ev.status)) {
        this.flushMarkers(current);
        sections.finish(Date.parse(ev.timestamp) || null);
        this.renderSections();
      }
      if (this.deps.runs.applyStatus(ev)) this.deps.onRunsChanged();
      this.syncResize();
      if (isFinished(ev.status) && feed.inTail) feed.endTail();
      return;
    }
    if (ev.droppedBytes != null) {
      // The retention marker (docs/api.md 7) is the server's, not the process's: shown as is.
      this.flushMarkers(current);
      feed.push(sections.text(outputText(ev, current.stderr)));
      return;
    }
    let out = "";
    let changed = false;
    const text = typeof ev.data === "string" ? ev.data : String(ev.data ?? "");
    for (const token of current.markers.push(text, ev.type)) {
      if (token.type === "text") {
        out += sections.text(token.stream === "stderr" ? current.stderr.paint(token.text) : token.text);
      } else {
        out += sections.marker(token);
        changed = true;
      }
    }
    feed.push(out);
    if (changed) this.renderSections();
  }

  /** A pipeline's `stage` event (docs/api.md 7.1): a section starts or ends. */
  onStage(ev) {
    const current = this.current;
    if (!current || ev.runId !== current.runId) return;
    this.flushMarkers(current);
    current.feed.push(current.sections.stage(ev));
    this.renderSections();
  }

  flushMarkers(current) {
    for (const token of current.markers.flush()) {
      const text = token.stream === "stderr" ? current.stderr.paint(token.text) : token.text;
      current.feed.push(current.sections.text(text));
    }
  }

  /** Folds or unfolds a section: the terminal is re-rendered from the section model. */
  toggleSection(id) {
    const current = this.current;
    if (!current || !current.sections.toggle(id)) return;
    current.feed.replace(current.sections.render());
    this.renderSections();
  }

  renderSections() {
    const current = this.current;
    if (!current) return;
    current.outline.render(current.sections, this.deps.runs.get(current.runId)?.stages ?? null);
  }

  /** Reports the terminal's size while the run on screen is a running tty run, and only then. */
  syncResize() {
    const current = this.current;
    if (current) current.resize.setLive(takesSize(this.deps.runs.get(current.runId)));
  }

  /** The run on screen was (re)subscribed, e.g. after a reconnect: a size not taken is sent again. */
  onSubscribed(runId) {
    if (this.current?.runId === runId) this.current.resize.retry();
  }

  reportSize(runId, size, done) {
    this.deps.connection.resize(runId, size, (ack) => {
      const answer = resizeAnswer(ack);
      done(answer.ok);
      if (answer.error && this.current?.runId === runId) this.deps.notice(`The terminal size was not changed: ${answer.error}`);
    });
  }

  setFollow(on) {
    this.follow = on;
    this.deps.$("follow").setAttribute("aria-pressed", String(on));
    this.current?.view.setFollow(on);
  }

  renderHeader() {
    const { $, runs } = this.deps;
    const selected = this.current;
    const run = selected ? runs.get(selected.runId) : null;
    const has = Boolean(selected);
    $("run-command").textContent = has ? (run ? runTitle(run) : selected.runId) : "No run selected";
    $("run-command").title = has && run ? runTitle(run) : "";
    if (run) setBadge($("run-badge"), run.status);
    else $("run-badge").hidden = true;
    const details = run ? [describeRun(run), run.workspaceId ? `workspace ${run.workspaceId}` : "", describeExecution(run)] : [];
    $("run-details").textContent = details.filter(Boolean).join(" · ");
    $("run-id").textContent = selected?.runId ?? "";
    $("copy").disabled = !has;
    $("download").disabled = !has;
    $("cancel").disabled = !(run && isCancellable(run.status));
  }
}
