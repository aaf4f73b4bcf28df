// Bundles the web terminal (src/) with esbuild into ../RunsStream.Server/wwwroot:
// index.html, app.js and app.css (xterm's stylesheet included), minified, with source maps.
// Everything comes from node_modules: no CDN, the page works offline.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, "..", "RunsStream.Server", "wwwroot");

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const result = await build({
  absWorkingDir: here,
  entryPoints: { app: "src/main.js" },
  bundle: true,
  minify: true,
  sourcemap: "linked",
  format: "iife",
  target: ["chrome111", "firefox115", "safari16.4"],
  outdir: out,
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
});

// Cache-busting: index.html names app.js and app.css with a hash of their contents.
const version = createHash("sha256");
for (const file of Object.keys(result.metafile.outputs).sort()) {
  version.update(await readFile(resolve(here, file)));
}
const hash = version.digest("hex").slice(0, 12);
const html = (await readFile(join(here, "src", "index.html"), "utf8")).replaceAll("%VERSION%", hash);
await writeFile(join(out, "index.html"), html);

const sizes = Object.entries(result.metafile.outputs)
  .filter(([file]) => !file.endsWith(".map") && !file.endsWith(".txt"))
  .map(([file, o]) => `${file.split("/").pop()} ${(o.bytes / 1024).toFixed(0)} KiB`);
console.log(`web: built ${out} (${sizes.join(", ")})`);
