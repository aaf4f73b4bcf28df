// The RunsStream web terminal: start, watch and cancel runs. Wires the token, the REST API,
// the socket, the runs list, the selected run and the actions together; the jobs themselves
// live in their own modules (run-state, selected-run, actions, feed, stderr, format).
import "./app.css";
import { UnauthorizedError, createApi } from "./api.js";
import { bindActions } from "./actions.js";
import { bindStartForm } from "./start-form.js";
import { RunsConnection } from "./connection.js";
import { RunsList } from "./runs-list.js";
import { RunsState } from "./run-state.js";
import { Selection } from "./selected-run.js";
import { takeTokenFromUrl, tokenStore } from "./token.js";
import { signedInText, tokenPrompt } from "./auth-text.js";

const POLL_MS = 1500;
const HIDDEN_POLL_MS = 10000;

const $ = (id) => document.getElementById(id);
const api = createApi(() => tokenStore.get());

const runs = new RunsState();
let started = false;
let pollTimer = 0;

const list = new RunsList({ list: $("runs"), empty: $("runs-empty"), count: $("runs-count") }, (id) => selection.select(id));

const connection = new RunsConnection({
  getToken: () => tokenStore.get(),
  onState: showConnection,
  onEvent: (ev) => selection.onEvent(ev),
  onStage: (ev) => selection.onStage(ev),
  onAck: (runId, ack) => {
    if (ack.ok === false) return notice(`Cannot watch ${runId}: ${ack.error ?? "refused"}`);
    if (ack.status === null) notice(`The server does not know ${runId} (yet); waiting for its events.`);
    selection.onSubscribed(runId);
  },
  onUnauthorized: (reason) => authFailed(reason),
});

const selection = new Selection({ $, api, runs, connection, list, notice, authFailed, onRunsChanged: renderRuns });

bindActions({ $, api, selection, refreshRuns, notice, authFailed });
bindStartForm({ $, api, runs, selection, renderRuns, refreshRuns, authFailed });

// ---- token -------------------------------------------------------------------------------

function showTokenDialog(error) {
  const dialog = $("token-dialog");
  $("token-error").hidden = !error;
  $("token-error").textContent = error ?? "";
  $("token").value = "";
  if (!dialog.open) dialog.showModal();
  $("token").focus();
}

/** @param {string} [reason] the server's refusal: "Token expired" asks for a new token. */
function authFailed(reason) {
  stop();
  tokenStore.clear();
  showSignedIn(null);
  showTokenDialog(tokenPrompt(reason));
}

/** The top bar's "Signed in as ... · workspaces ... · scopes" (GET /auth/me). */
function showSignedIn(me) {
  const el = $("signed-in");
  el.textContent = signedInText(me);
  el.hidden = !el.textContent;
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
  showSignedIn(null);
  showTokenDialog();
});

// ---- lifecycle ---------------------------------------------------------------------------

async function start() {
  try {
    showSignedIn(await api.me());
    await refreshRuns();
  } catch (err) {
    if (err instanceof UnauthorizedError) return authFailed(err.reason);
    showConnection("offline", `Cannot reach the server: ${err.message}`);
  }
  started = true;
  connection.start();
  schedulePoll();
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("run");
  if (fromHash && !selection.current) selection.select(fromHash);
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
      if (err instanceof UnauthorizedError) return authFailed(err.reason);
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
  runs.replaceList(await api.listRuns());
  renderRuns();
}

function renderRuns() {
  list.render(runs.list());
  selection.renderHeader();
}

setInterval(() => {
  list.tick();
  if (selection.current) {
    selection.renderHeader();
    selection.renderSections();
  }
}, 1000);

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
    return selection.runId;
  },
  text: () => selection.current?.view.text() ?? "",
  stats: () => {
    const feed = selection.current?.feed;
    return feed ? { ...feed.stats, pending: feed.pending, paused: feed.paused, lastSeq: connection.lastSeq } : null;
  },
  get socket() {
    return connection.socket;
  },
  get term() {
    return selection.current?.view.term ?? null;
  },
};

takeTokenFromUrl();
if (tokenStore.get()) start();
else showTokenDialog();
