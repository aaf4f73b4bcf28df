// What the user does with the buttons of the run on screen: cancel it, toggle follow, copy its
// text, download its raw log (the start form is start-form.js). Each action reports in the
// notice line; a 401 from any of them asks for the token again.
import { UnauthorizedError } from "./api.js";
import { formatBytes } from "./format.js";

/**
 * @param {{$: (id: string) => HTMLElement, api: object, selection: import("./selected-run.js").Selection,
 *          refreshRuns: () => Promise<void>, notice: (text: string) => void, authFailed: (reason?: string) => void}} app
 */
export function bindActions({ $, api, selection, refreshRuns, notice, authFailed }) {
  $("cancel").addEventListener("click", async () => {
    const runId = selection.runId;
    if (!runId) return;
    $("cancel").disabled = true;
    notice(`Cancelling ${runId}…`);
    try {
      const answer = await api.cancelRun(runId);
      notice(answer?.status === "cancelled" ? `Cancel requested for ${runId}.` : `${runId} had already ended (${answer?.status}).`);
      refreshRuns().catch(() => {});
    } catch (err) {
      if (err instanceof UnauthorizedError) return authFailed(err.reason);
      notice(`Could not cancel: ${err.message}`);
      selection.renderHeader();
    }
  });

  $("follow").addEventListener("click", () => selection.setFollow(!selection.follow));

  $("copy").addEventListener("click", async () => {
    const current = selection.current;
    if (!current) return;
    const text = current.view.copyText();
    const lines = text ? text.split("\n").length : 0;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      if (!copyWithSelection(text)) return notice("Copy failed: the browser did not allow it.");
    }
    notice(`Copied ${lines} line${lines === 1 ? "" : "s"}.`);
  });

  $("download").addEventListener("click", async () => {
    const runId = selection.runId;
    if (!runId) return;
    $("download").disabled = true;
    notice(`Downloading the log of ${runId}…`);
    try {
      const response = await api.fetchLog(runId);
      const blob = await response.blob();
      saveBlob(blob, `${runId}.log`);
      notice(`Downloaded ${runId}.log (${formatBytes(blob.size)}).`);
    } catch (err) {
      if (err instanceof UnauthorizedError) return authFailed(err.reason);
      notice(`Download failed: ${err.message}`);
    } finally {
      selection.renderHeader();
    }
  });
}

/** The clipboard API needs a secure context; plain http on a LAN address falls back to this. */
function copyWithSelection(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  return ok;
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
