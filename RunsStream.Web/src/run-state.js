// What the page knows about runs: the last GET /runs page merged with the status events of the
// run on screen and the runs started from this page. Pure (no DOM, no network), so the rules
// below are unit-tested in node (test/run-state.test.mjs).
//
// Two sources race: the list is polled every 1.5 s, while status events arrive live. A poll
// answered just before a run ended must not turn its "succeeded" badge back to "running", so a
// status the page already saw as terminal wins over an older non-terminal one.
import { isFinished } from "./format.js";

/** The fields a terminal status event decides; kept when an older poll says otherwise. */
const terminalFields = (run) => ({
  status: run.status,
  exitCode: run.exitCode,
  reason: run.reason,
  startedAt: run.startedAt,
  finishedAt: run.finishedAt,
});

export class RunsState {
  constructor() {
    /** @type {Map<string, object>} runs by id */
    this.runs = new Map();
    /** @type {string[]} run ids of the list, newest first */
    this.order = [];
  }

  get(runId) {
    return this.runs.get(runId);
  }

  /** The runs of the list, newest first, as the list shows them. */
  list() {
    return this.order.map((id) => this.runs.get(id)).filter(Boolean);
  }

  /** Takes a fresh GET /runs page (newest first) as the list. */
  replaceList(fresh) {
    this.order = fresh.map((run) => this.merge(run).runId);
  }

  /** Takes one run as the server reported it (GET /runs or /runs/{id}); returns what is kept. */
  merge(fresh) {
    const known = this.runs.get(fresh.runId);
    const run = known && isFinished(known.status) && !isFinished(fresh.status) ? { ...fresh, ...terminalFields(known) } : fresh;
    this.runs.set(run.runId, run);
    return run;
  }

  /**
   * A run this page just started (POST /runs answered): shown at the top as queued at once,
   * before the next poll lists it. `request` is what was posted: {command} or {stages}, and
   * workspaceId, executor, tty, cols, rows.
   */
  addStarted(runId, request, now = new Date()) {
    this.runs.set(runId, {
      runId,
      status: "queued",
      command: request.command ?? null,
      workspaceId: request.workspaceId || null,
      createdAt: now.toISOString(),
      startedAt: null,
      finishedAt: null,
      exitCode: null,
      reason: null,
      executor: request.executor ?? "process",
      stages: request.stages?.map(({ name, command }) => ({ name, command, status: "pending", startedAt: null, endedAt: null, exitCode: null })) ?? null,
      // In GET's shape (docs/api.md 3.3); no size when the server picks its default.
      tty: request.tty ? { cols: request.cols ?? null, rows: request.rows ?? null } : null,
    });
    this.order = [runId, ...this.order.filter((id) => id !== runId)];
  }

  /**
   * Applies a `status` run-event; returns false when it is ignored (a replayed older status of
   * a run already seen finished).
   */
  applyStatus(ev) {
    const run = { ...(this.runs.get(ev.runId) ?? { runId: ev.runId, command: null, createdAt: ev.timestamp }) };
    if (isFinished(run.status) && !isFinished(ev.status)) return false;
    run.status = ev.status ?? ev.data;
    if (ev.status === "running") run.startedAt ??= ev.timestamp;
    if (isFinished(ev.status)) {
      run.finishedAt ??= ev.timestamp;
      run.exitCode = ev.exitCode ?? run.exitCode ?? null;
      run.reason = ev.reason ?? run.reason ?? null;
    }
    this.runs.set(run.runId, run);
    return true;
  }
}
