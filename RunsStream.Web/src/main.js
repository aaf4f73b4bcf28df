// The RunsStream web terminal: start, watch and cancel runs. Wires the token, the REST API,
// the socket, the runs list and the terminal of the selected run together.
import "./app.css";
import { ApiError, UnauthorizedError, createApi } from "./api.js";
import { RunsConnection } from "./connection.js";
import { TerminalFeed } from "./feed.js";
import { describeRun, formatBytes, isCancellable, isFinished, setBadge } from "./format.js";
import { RunsList } from "./runs-list.js";
import { RunTerminal, SCROLLBACK_LINES } from "./terminal.js";
import { StderrPainter } from "./stderr.js";
import { takeTokenFromUrl, tokenStore } from "./token.js";

const POLL_MS = 1500;
const HIDDEN_POLL_MS = 10000;
const MARKER_COLOUR = "\x1b[0;33m";

const $ = (id) => document.getElementById(id);
const api = createApi(() => tokenStore.get());

/** Runs by id: GET /runs merged with the status events of the run on screen. */
const runs = new Map();
let order = [];
let selected = null; // { runId, view: RunTerminal, feed: TerminalFeed, stderr: StderrPainter }
let follow = true;
let started = false;
let pollTimer = 0;

const list = new RunsList({ list: $("runs"), empty: $("runs-empty"), count: $("runs-count") }, (id) => selectRun(id));

const connection = new RunsConnection({
  getToken: () => tokenStore.get(),
  onState: showConnection,
  onEvent,
  onAck: (runId, ack) => {
    if (ack.ok === false) notice(`Cannot watch ${runId}: ${ack.error ?? "refused"}`);
    else if (ack.status === null) notice(`The server does not know ${runId} (yet); waiting for its events.`);
  },
  onUnauthorized: () => authFailed(),
});

// ---- token -------------------------------------------------------------------------------

function showTokenDialog(error) {
  const dialog = $("token-dialog");
  $("token-error").hidden = !error;
  $("token-error").textContent = error ?? "";
  $("token").value = "";
  if (!dialog.open) dialog.showModal();
  $("token").focus();
}

function authFailed(message) {
  stop();
  tokenStore.clear();
  showTokenDialog(message ?? "The server refused this token (401 Unauthorized). Enter the token that scripts/run printed.");
}

$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  tokenStore.set(token);
  $("token-dialog").close();
  start();
});
$("token-dialog").addEventListener("cancel", (e) => {
  if (!started) e.preventDefault(); // nothing works without a token
});
$("change-token").addEventListener("click", () => {
  stop();
  tokenStore.clear();
  showTokenDialog();
});

// ---- lifecycle ---------------------------------------------------------------------------

async function start() {
  try {
    await refreshRuns();
  } catch (err) {
    if (err instanceof UnauthorizedError) return authFailed();
    showConnection("offline", `Cannot reach the server: ${err.message}`);
  }
  started = true;
  connection.start();
  schedulePoll();
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("run");
  if (fromHash && !selected) selectRun(fromHash);
}

function stop() {
  started = false;
  clearTimeout(pollTimer);
  connection.stop();
}

function schedulePoll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(async () => {
    if (!started) return;
    try {
      await refreshRuns();
      $("runs-error").hidden = true;
    } catch (err) {
      if (err instanceof UnauthorizedError) return authFailed();
      $("runs-error").textContent = `The runs list is not up to date: ${err.message}`;
      $("runs-error").hidden = false;
    }
    schedulePoll();
  }, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
}

document.addEventListener("visibilitychange", () => {
  if (started && !document.hidden) schedulePoll();
});

async function refreshRuns() {
  const fresh = await api.listRuns();
  order = fresh.map((run) => mergeRun(run).runId);
  renderRuns();
}

/** A status the page saw as terminal (from an event) never goes back to an older poll's. */
function mergeRun(fresh) {
  const known = runs.get(fresh.runId);
  const run = known && isFinished(known.status) && !isFinished(fresh.status) ? { ...fresh, ...pick(known) } : fresh;
  runs.set(run.runId, run);
  return run;
}

const pick = (r) => ({ status: r.status, exitCode: r.exitCode, reason: r.reason, startedAt: r.startedAt, finishedAt: r.finishedAt });

function renderRuns() {
  list.render(order.map((id) => runs.get(id)).filter(Boolean));
  renderHeader();
}

setInterval(() => {
  list.tick();
  if (selected) renderHeader();
}, 1000);

// ---- the selected run ----------------------------------------------------------------------

async function selectRun(runId) {
  if (selected?.runId === runId) return;
  closeSelected();
  history.replaceState(history.state, "", `${location.pathname}${location.search}#run=${encodeURIComponent(runId)}`);
  const view = new RunTerminal($("terminal"), {
    follow,
    onFollowChange: setFollow,
    label: `Output of run ${runId}`,
  });
  const feed = new TerminalFeed(view.term, {
    tailLines: SCROLLBACK_LINES,
    onPause: () => connection.pause(),
    onResume: () => connection.resume(),
    onWritten: () => view.afterWrite(),
    onOmitted: (chars) => notice(`Showing the end of this run's output: ${formatBytes(chars)} before it are not shown. "Download log" has all of it.`),
  });
  const current = (selected = { runId, view, feed, stderr: new StderrPainter() });
  list.setSelected(runId);
  notice("");
  renderHeader();

  let run = runs.get(runId);
  if (!run) {
    try {
      run = mergeRun(await api.getRun(runId));
    } catch (err) {
      if (err instanceof UnauthorizedError) return authFailed();
      // An unknown id is still watched: an external executor may publish into it later.
      if (err instanceof ApiError && err.status === 404) notice(`The server does not know ${runId} (yet); waiting for its events.`);
      else notice(`Cannot load ${runId}: ${err.message}`);
    }
  }
  if (selected !== current) return;
  // A finished run opens at its tail; a live one streams everything.
  if (run && isFinished(run.status)) feed.beginTail();
  connection.watch(runId);
  renderHeader();
}

function closeSelected() {
  if (!selected) return;
  connection.unwatch();
  selected.feed.dispose();
  selected.view.dispose();
  selected = null;
}

function onEvent(ev) {
  if (!selected || ev.runId !== selected.runId) return;
  if (ev.type === "status") {
    applyStatus(ev);
    if (isFinished(ev.status) && selected.feed.inTail) selected.feed.endTail();
    return;
  }
  let text = typeof ev.data === "string" ? ev.data : String(ev.data ?? "");
  if (ev.droppedBytes != null) {
    text = `${MARKER_COLOUR}${text}\x1b[0m`;
  } else if (ev.type === "stderr") {
    text = selected.stderr.paint(text);
  }
  selected.feed.push(text);
}

function applyStatus(ev) {
  const run = { ...(runs.get(ev.runId) ?? { runId: ev.runId, command: null, createdAt: ev.timestamp }) };
  if (isFinished(run.status) && !isFinished(ev.status)) return; // replay of an older status
  run.status = ev.status ?? ev.data;
  if (ev.status === "running") run.startedAt ??= ev.timestamp;
  if (isFinished(ev.status)) {
    run.finishedAt ??= ev.timestamp;
    run.exitCode = ev.exitCode ?? run.exitCode ?? null;
    run.reason = ev.reason ?? run.reason ?? null;
  }
  runs.set(run.runId, run);
  renderRuns();
}

function renderHeader() {
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

// ---- actions -------------------------------------------------------------------------------

$("start-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const command = $("command").value;
  if (!command.trim()) return;
  const button = $("start");
  button.disabled = true;
  $("start-error").hidden = true;
  try {
    const { runId } = await api.startRun(command, $("workspace").value.trim());
    runs.set(runId, { runId, status: "queued", command, workspaceId: $("workspace").value.trim() || null, createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, exitCode: null, reason: null });
    order = [runId, ...order.filter((id) => id !== runId)];
    renderRuns();
    selectRun(runId);
    refreshRuns().catch(() => {});
  } catch (err) {
    if (err instanceof UnauthorizedError) return authFailed();
    $("start-error").textContent = `Could not start the run: ${err.message}`;
    $("start-error").hidden = false;
  } finally {
    button.disabled = false;
  }
});
$("command").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    $("start-form").requestSubmit();
  }
});

$("cancel").addEventListener("click", async () => {
  if (!selected) return;
  const runId = selected.runId;
  $("cancel").disabled = true;
  notice(`Cancelling ${runId}…`);
  try {
    const answer = await api.cancelRun(runId);
    notice(answer?.status === "cancelled" ? `Cancel requested for ${runId}.` : `${runId} had already ended (${answer?.status}).`);
    refreshRuns().catch(() => {});
  } catch (err) {
    if (err instanceof UnauthorizedError) return authFailed();
    notice(`Could not cancel: ${err.message}`);
    renderHeader();
  }
});

function setFollow(on) {
  follow = on;
  $("follow").setAttribute("aria-pressed", String(on));
  selected?.view.setFollow(on);
}
$("follow").addEventListener("click", () => setFollow(!follow));

$("copy").addEventListener("click", async () => {
  if (!selected) return;
  const text = selected.view.copyText();
  const lines = text ? text.split("\n").length : 0;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    if (!ok) return notice("Copy failed: the browser did not allow it.");
  }
  notice(`Copied ${lines} line${lines === 1 ? "" : "s"}.`);
});

$("download").addEventListener("click", async () => {
  if (!selected) return;
  const runId = selected.runId;
  $("download").disabled = true;
  notice(`Downloading the log of ${runId}…`);
  try {
    const response = await api.fetchLog(runId);
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = `${runId}.log`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    notice(`Downloaded ${runId}.log (${formatBytes(blob.size)}).`);
  } catch (err) {
    if (err instanceof UnauthorizedError) return authFailed();
    notice(`Download failed: ${err.message}`);
  } finally {
    renderHeader();
  }
});

// ---- status line -------------------------------------------------------------------------

function showConnection(state, text) {
  const el = $("connection");
  el.dataset.state = state;
  el.textContent = text;
}

function notice(text) {
  $("run-notice").textContent = text;
}

// Read-only hooks for the browser tests (and curious users): nothing here changes state.
window.runsStream = {
  get runId() {
    return selected?.runId ?? null;
  },
  text: () => selected?.view.text() ?? "",
  stats: () => (selected ? { ...selected.feed.stats, pending: selected.feed.pending, paused: selected.feed.paused, lastSeq: connection.lastSeq } : null),
  get socket() {
    return connection.socket;
  },
  get term() {
    return selected?.view.term ?? null;
  },
};

takeTokenFromUrl();
if (tokenStore.get()) start();
else showTokenDialog();
