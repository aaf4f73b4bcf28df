// The body of POST /runs from what the start form holds (docs/api.md 3.1): one command or a
// pipeline's stages, the workspace, the executor and, for a terminal, tty with its size. Pure,
// unit-tested in node (test/start-request.test.js); start-form.js reads the form into it.
import { parseStages } from "./stages-text.js";

/** The largest terminal the form lets through; the server has the final word. */
export const MAX_TERMINAL_CELLS = 1000;

/**
 * @param {{mode: "command" | "stages", command: string, stagesText: string, workspaceId: string,
 *          executor: string, tty: boolean, cols: string, rows: string,
 *          terminalSize: {cols: number, rows: number} | null}} form
 *   cols and rows as typed (blank: the size of the terminal on screen, `terminalSize`)
 * @returns {{body: object} | {error: string}}
 */
export function startRequest(form) {
  const body = {};
  if (form.mode === "stages") {
    const parsed = parseStages(form.stagesText);
    if (parsed.error) return { error: parsed.error };
    body.stages = parsed.stages;
  } else {
    if (!form.command.trim()) return { error: "Enter a command." };
    body.command = form.command;
  }
  body.workspaceId = form.workspaceId.trim() || null;
  if (form.executor) body.executor = form.executor;
  if (form.tty) {
    body.tty = true;
    const cols = size(form.cols, "Columns");
    if (cols.error) return cols;
    const rows = size(form.rows, "Rows");
    if (rows.error) return rows;
    // Blank: what the program will be shown in, the terminal on screen now.
    const fallback = form.terminalSize;
    if (cols.value ?? fallback?.cols) body.cols = cols.value ?? fallback.cols;
    if (rows.value ?? fallback?.rows) body.rows = rows.value ?? fallback.rows;
  }
  return { body };
}

function size(text, what) {
  const t = (text ?? "").trim();
  if (!t) return { value: null };
  if (!/^\d{1,4}$/.test(t) || Number(t) < 1 || Number(t) > MAX_TERMINAL_CELLS) {
    return { error: `${what} must be a whole number from 1 to ${MAX_TERMINAL_CELLS}, or blank for the size of the terminal on screen.` };
  }
  return { value: Number(t) };
}
