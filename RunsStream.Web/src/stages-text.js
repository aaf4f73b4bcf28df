// The pipeline field of the start form: one stage per line, "name: command", turned into the
// `stages` of POST /runs (docs/api.md 3.1.1). Pure, unit-tested in node (test/stages-text.test.js).
//
// A line that starts with whitespace continues the stage above (its command gets a newline and
// the line), so a stage can hold a small multi-line script. Blank lines and lines starting with
// "#" are skipped. The server checks the rest (lengths, control characters, how many); the
// form catches here what would only come back as a 400 about an array index the user never saw.

/**
 * @param {string} text
 * @returns {{stages: {name: string, command: string}[]} | {error: string}}
 */
export function parseStages(text) {
  const stages = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const number = i + 1;
    if (!line.trim() || line.trimStart().startsWith("#")) continue;
    if (/^\s/.test(line)) {
      const last = stages[stages.length - 1];
      if (!last) return { error: `Line ${number}: a continuation line (it starts with a space) needs a stage above it.` };
      last.command = last.command ? `${last.command}\n${line.trim()}` : line.trim();
      continue;
    }
    const colon = line.indexOf(":");
    if (colon < 0) return { error: `Line ${number}: write a stage as "name: command".` };
    const name = line.slice(0, colon).trim();
    const command = line.slice(colon + 1).trim();
    if (!name) return { error: `Line ${number}: the stage has no name before the ":".` };
    if (stages.some((s) => s.name === name)) return { error: `Line ${number}: the stage name "${name}" is used twice; names must be unique.` };
    stages.push({ name, command, line: number });
  }
  if (stages.length === 0) return { error: 'Enter at least one stage, one per line: "name: command".' };
  const empty = stages.find((s) => !s.command);
  if (empty) return { error: `Line ${empty.line}: the stage "${empty.name}" has no command.` };
  return { stages: stages.map(({ name, command }) => ({ name, command })) };
}

/** The stages back as text (what the runs list shows for a pipeline). */
export function describeStages(stages) {
  return stages.map((s) => s.name).join(" → ");
}
