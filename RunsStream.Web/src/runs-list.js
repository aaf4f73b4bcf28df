// The runs list: newest first, a live status badge, exit code and duration per run. Items are
// updated in place (keyed by run id), so focus and scrolling survive every refresh.
import { describeRun, formatTime, runTitle, setBadge } from "./format.js";

export class RunsList {
  /**
   * @param {{list: HTMLUListElement, empty: HTMLElement, count: HTMLElement}} elements
   * @param {(runId: string) => void} onSelect
   */
  constructor({ list, empty, count }, onSelect) {
    this.list = list;
    this.empty = empty;
    this.count = count;
    this.onSelect = onSelect;
    this.items = new Map();
    this.runs = [];
    this.selected = null;

    list.addEventListener("click", (e) => {
      const button = e.target.closest("button[data-run-id]");
      if (button) onSelect(button.dataset.runId);
    });
    // Arrow keys move between runs; Tab still leaves the list.
    list.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowDown" && e.key !== "ArrowUp" && e.key !== "Home" && e.key !== "End") return;
      const buttons = [...list.querySelectorAll("button[data-run-id]")];
      const index = buttons.indexOf(document.activeElement);
      if (index < 0) return;
      e.preventDefault();
      const next = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: buttons.length - 1 }[e.key];
      buttons[Math.max(0, Math.min(buttons.length - 1, next))].focus();
    });
  }

  /** @param {object[]} runs newest first */
  render(runs, now = Date.now()) {
    this.runs = runs;
    const seen = new Set();
    let previous = null;
    for (const run of runs) {
      seen.add(run.runId);
      let item = this.items.get(run.runId);
      if (!item) {
        item = this.create(run.runId);
        this.items.set(run.runId, item);
      }
      this.update(item, run, now);
      const expected = previous ? previous.li.nextSibling : this.list.firstChild;
      if (expected !== item.li) this.list.insertBefore(item.li, expected);
      previous = item;
    }
    for (const [id, item] of this.items) {
      if (!seen.has(id)) {
        item.li.remove();
        this.items.delete(id);
      }
    }
    this.empty.hidden = runs.length > 0;
    this.count.textContent = runs.length > 0 ? `(${runs.length})` : "";
  }

  /** Redraws durations of runs still going. */
  tick(now = Date.now()) {
    for (const run of this.runs) {
      if (run.startedAt && !run.finishedAt) {
        const item = this.items.get(run.runId);
        if (item) item.details.textContent = describeRun(run, now);
      }
    }
  }

  setSelected(runId) {
    this.selected = runId;
    for (const [id, item] of this.items) {
      if (id === runId) item.button.setAttribute("aria-current", "true");
      else item.button.removeAttribute("aria-current");
    }
  }

  create(runId) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "run-item";
    button.dataset.runId = runId;
    const top = document.createElement("span");
    top.className = "run-item-top";
    const badge = document.createElement("span");
    const command = document.createElement("code");
    command.className = "run-item-command";
    top.append(badge, command);
    const meta = document.createElement("span");
    meta.className = "run-item-meta";
    const details = document.createElement("span");
    const time = document.createElement("time");
    meta.append(details, time);
    button.append(top, meta);
    li.append(button);
    if (runId === this.selected) button.setAttribute("aria-current", "true");
    return { li, button, badge, command, details, time };
  }

  update(item, run, now) {
    setBadge(item.badge, run.status);
    const command = runTitle(run);
    if (item.command.textContent !== command) {
      item.command.textContent = command;
      item.button.title = `${command}\n${run.runId}`;
    }
    item.details.textContent = describeRun(run, now);
    const when = formatTime(run.createdAt);
    if (item.time.textContent !== when) {
      item.time.textContent = when;
      item.time.dateTime = run.createdAt ?? "";
    }
  }
}
