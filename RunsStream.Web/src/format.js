// Small presentation helpers shared by the runs list and the run header.
import { describeStages } from "./stages-text.js";

export const TERMINAL_STATUSES = new Set(["succeeded", "failed", "cancelled"]);
export const isFinished = (status) => TERMINAL_STATUSES.has(status);
export const isCancellable = (status) => status === "queued" || status === "running";

/** Milliseconds the run has been running (so far), or null before it started. */
export function durationMs(run, now = Date.now()) {
  if (!run?.startedAt) return null;
  const end = run.finishedAt ? Date.parse(run.finishedAt) : now;
  return Math.max(0, end - Date.parse(run.startedAt));
}

export function formatDuration(ms) {
  if (ms == null) return "";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  return sameDay ? time : `${d.toLocaleDateString()} ${time}`;
}

/** "exit 0 · 1.2 s": what the list and the header show after the badge. */
export function describeRun(run, now = Date.now()) {
  const parts = [];
  if (run.exitCode != null) parts.push(`exit ${run.exitCode}`);
  const d = durationMs(run, now);
  if (d != null) parts.push(formatDuration(d));
  // "Process exited with code 3" says no more than "exit 3"; other reasons do.
  if (run.reason && run.status !== "succeeded" && !/^process exited with code/i.test(run.reason)) parts.push(run.reason);
  return parts.join(" · ");
}

/** What a run is called in the list and the header: its command, or its stages for a pipeline. */
export function runTitle(run) {
  if (run?.command != null) return run.command;
  if (run?.stages?.length) return `pipeline: ${describeStages(run.stages)}`;
  return "(published by an external executor)";
}

/** "docker · tty 120x40": how a run executes, when that is not the default local process. */
export function describeExecution(run) {
  const parts = [];
  if (run?.executor && run.executor !== "process") parts.push(`executor ${run.executor}`);
  if (run?.tty) {
    const size = terminalSize(run);
    parts.push(size ? `tty ${size.cols}x${size.rows}` : "tty");
  }
  return parts.join(" · ");
}

/**
 * A terminal run's size as GET /runs/{id} gives it, `"tty": {"cols", "rows"}` (docs/api.md 3.3:
 * its size at the start), or null (a run on pipes, or a size not known yet).
 */
export function terminalSize(run) {
  const tty = run?.tty;
  return tty && tty.cols > 0 && tty.rows > 0 ? { cols: tty.cols, rows: tty.rows } : null;
}

export function setBadge(element, status) {
  const s = status ?? "unknown";
  element.textContent = s;
  element.className = `badge badge-${s}`;
  element.hidden = false;
}
