// The run on screen: its terminal, the flow-controlled feed into it, the stderr painter, its
// header (command, badge, details, buttons) and "follow". Selecting another run disposes all of
// that and subscribes to the new one; only one run is watched at a time.
import { ApiError, UnauthorizedError } from "./api.js";
import { TerminalFeed } from "./feed.js";
import { describeRun, formatBytes, isCancellable, isFinished, setBadge } from "./format.js";
import { RunTerminal, SCROLLBACK_LINES } from "./terminal.js";
import { StderrPainter, outputText } from "./stderr.js";

export class Selection {
  /**
   * @param {{$: (id: string) => HTMLElement, api: object, runs: import("./run-state.js").RunsState,
   *          connection: import("./connection.js").RunsConnection, list: import("./runs-list.js").RunsList,
   *          notice: (text: string) => void, authFailed: () => void, onRunsChanged: () => void}} deps
   */
  constructor(deps) {
    this.deps = deps;
    /** @type {{runId: string, view: RunTerminal, feed: TerminalFeed, stderr: StderrPainter} | null} */
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
    const current = (this.current = { runId, view, feed, stderr: new StderrPainter() });
    list.setSelected(runId);
    notice("");
    this.renderHeader();

    let run = runs.get(runId);
    if (!run) {
      try {
        run = runs.merge(await api.getRun(runId));
      } catch (err) {
        if (err instanceof UnauthorizedError) return authFailed();
        // An unknown id is still watched: an external executor may publish into it later.
        if (err instanceof ApiError && err.status === 404) notice(`The server does not know ${runId} (yet); waiting for its events.`);
        else notice(`Cannot load ${runId}: ${err.message}`);
      }
    }
    if (this.current !== current) return;
    // A finished run opens at its tail; a live one streams everything.
    if (run && isFinished(run.status)) feed.beginTail();
    connection.watch(runId);
    this.renderHeader();
  }

  close() {
    if (!this.current) return;
    this.deps.connection.unwatch();
    this.current.feed.dispose();
    this.current.view.dispose();
    this.current = null;
  }

  /** A run-event from the connection: output goes to the terminal, a status to the runs. */
  onEvent(ev) {
    const current = this.current;
    if (!current || ev.runId !== current.runId) return;
    if (ev.type === "status") {
      if (this.deps.runs.applyStatus(ev)) this.deps.onRunsChanged();
      if (isFinished(ev.status) && current.feed.inTail) current.feed.endTail();
      return;
    }
    current.feed.push(outputText(ev, current.stderr));
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
    $("run-command").textContent = has ? (run?.command ?? selected.runId) : "No run selected";
    $("run-command").title = has ? (run?.command ?? "") : "";
    if (run) setBadge($("run-badge"), run.status);
    else $("run-badge").hidden = true;
    const details = run ? [describeRun(run), run.workspaceId ? `workspace ${run.workspaceId}` : ""] : [];
    $("run-details").textContent = details.filter(Boolean).join(" · ");
    $("run-id").textContent = selected?.runId ?? "";
    $("copy").disabled = !has;
    $("download").disabled = !has;
    $("cancel").disabled = !(run && isCancellable(run.status));
  }
}
