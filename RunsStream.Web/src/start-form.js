// The start form: a single command or a pipeline (stages, one "name: command" per line), the
// workspace, the executor and "terminal (tty)" with an optional size. A refusal (e.g. an
// executor this server does not have: the server's 400 names the available ones) is shown
// under the form as the server worded it.
import { UnauthorizedError } from "./api.js";
import { startRequest } from "./start-request.js";

/**
 * @param {{$: (id: string) => HTMLElement, api: object, runs: import("./run-state.js").RunsState,
 *          selection: import("./selected-run.js").Selection, renderRuns: () => void,
 *          refreshRuns: () => Promise<void>, authFailed: (reason?: string) => void}} app
 */
export function bindStartForm({ $, api, runs, selection, renderRuns, refreshRuns, authFailed }) {
  const form = $("start-form");
  const mode = () => form.querySelector('input[name="mode"]:checked')?.value ?? "command";
  const showError = (text) => {
    $("start-error").textContent = text;
    $("start-error").hidden = !text;
  };

  const showMode = () => {
    const stages = mode() === "stages";
    $("command-field").hidden = stages;
    $("stages-field").hidden = !stages;
    // Only the visible field is required, or the browser refuses to submit the form.
    $("command").required = !stages;
    $("stages").required = stages;
  };
  for (const radio of form.querySelectorAll('input[name="mode"]')) radio.addEventListener("change", showMode);
  const showTty = () => {
    $("tty-size").hidden = !$("tty").checked;
  };
  $("tty").addEventListener("change", showTty);
  showMode();
  showTty();

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const term = selection.current?.view.term;
    const request = startRequest({
      mode: mode(),
      command: $("command").value,
      stagesText: $("stages").value,
      workspaceId: $("workspace").value,
      executor: $("executor").value,
      tty: $("tty").checked,
      cols: $("cols").value,
      rows: $("rows").value,
      terminalSize: term ? { cols: term.cols, rows: term.rows } : null,
    });
    if (request.error) return showError(request.error);
    const button = $("start");
    button.disabled = true;
    showError("");
    try {
      const { runId } = await api.startRun(request.body);
      runs.addStarted(runId, request.body);
      renderRuns();
      selection.select(runId);
      refreshRuns().catch(() => {});
    } catch (err) {
      if (err instanceof UnauthorizedError) return authFailed(err.reason);
      showError(`Could not start the run: ${err.message}`);
    } finally {
      button.disabled = false;
    }
  });
  for (const field of [$("command"), $("stages")]) {
    field.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
  }
}
