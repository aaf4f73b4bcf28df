// The outline of a run's sections above its terminal: one row per section (a pipeline's stages,
// GitLab marker sections nested under them) with its status and duration, live. A row is a
// button that folds or unfolds that section in the terminal (section-model.js says why the
// folding is done by re-rendering one terminal). Stages the run has not reached yet are listed
// as "pending" from the run's `stages` (GET /runs/{id}). Rows are updated in place, keyed by
// section, so the focus stays on the row a keyboard user just toggled.
import { formatDuration } from "./format.js";

export class SectionsView {
  /**
   * @param {HTMLElement} container
   * @param {(sectionId: number) => void} onToggle
   */
  constructor(container, onToggle) {
    this.container = container;
    this.list = document.createElement("ul");
    this.list.className = "sections-list";
    this.note = document.createElement("p");
    this.note.className = "hint";
    this.note.hidden = true;
    container.replaceChildren(this.list, this.note);
    container.hidden = true;
    this.rows = new Map();
    this.onClick = (e) => {
      const button = e.target.closest("button[data-section-id]");
      if (button) onToggle(Number(button.dataset.sectionId));
    };
    this.list.addEventListener("click", this.onClick);
  }

  /**
   * @param {import("./section-model.js").SectionModel} model
   * @param {{name: string, status?: string}[] | null} planned the run's stages as GET /runs/{id} lists them
   */
  render(model, planned, now = Date.now()) {
    const entries = model.sections.map((s) => ({ key: `s${s.id}`, section: s }));
    const started = new Set(model.sections.filter((s) => s.source === "stage").map((s) => s.name));
    for (const stage of planned ?? []) {
      if (!started.has(stage.name)) entries.push({ key: `p:${stage.name}`, pending: stage });
    }
    this.container.hidden = entries.length === 0;
    const seen = new Set();
    let previous = null;
    for (const entry of entries) {
      seen.add(entry.key);
      let row = this.rows.get(entry.key);
      if (!row) {
        row = this.create(entry);
        this.rows.set(entry.key, row);
      }
      if (entry.section) this.updateSection(row, entry.section, model, now);
      else this.updatePending(row, entry.pending);
      const expected = previous ? previous.li.nextSibling : this.list.firstChild;
      if (expected !== row.li) this.list.insertBefore(row.li, expected);
      previous = row;
    }
    for (const [key, row] of this.rows) {
      if (!seen.has(key)) {
        row.li.remove();
        this.rows.delete(key);
      }
    }
    this.note.hidden = model.foldable;
    this.note.textContent = model.foldable ? "" : 'Too much output to fold sections here; "Download log" has all of it.';
  }

  create(entry) {
    const li = document.createElement("li");
    const row = document.createElement(entry.section ? "button" : "span");
    row.className = "section-row";
    if (entry.section) {
      row.type = "button";
      row.dataset.sectionId = String(entry.section.id);
    }
    const arrow = document.createElement("span");
    arrow.className = "section-arrow";
    arrow.setAttribute("aria-hidden", "true");
    const name = document.createElement("span");
    name.className = "section-name";
    const status = document.createElement("span");
    status.className = "section-status";
    const duration = document.createElement("span");
    duration.className = "section-duration";
    row.append(arrow, name, status, duration);
    li.append(row);
    return { li, row, arrow, name, status, duration };
  }

  updateSection(row, s, model, now) {
    row.li.style.setProperty("--depth", String(s.depth));
    row.row.setAttribute("aria-expanded", String(!s.collapsed));
    row.row.disabled = !model.foldable;
    row.arrow.textContent = s.collapsed ? "▸" : "▾";
    setText(row.name, s.title);
    const status = s.status ?? (s.open ? "running" : "");
    setText(row.status, status);
    row.row.dataset.status = status;
    setText(row.duration, formatDuration(model.durationOf(s, now)));
    row.row.title = s.source === "stage" ? `Stage ${s.name}` : `Section ${s.name}`;
  }

  updatePending(row, stage) {
    row.li.style.setProperty("--depth", "0");
    row.arrow.textContent = "·";
    setText(row.name, stage.name);
    setText(row.status, "pending");
    row.row.dataset.status = "pending";
    setText(row.duration, "");
  }

  dispose() {
    this.list.removeEventListener("click", this.onClick);
    this.container.replaceChildren();
    this.container.hidden = true;
  }
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}
