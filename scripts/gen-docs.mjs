// npm run docs: write docs/commands.md from the jfish command table, as compiled into dist/
// by `npm run build` (the test test/unit/docs-fresh.test.ts renders from the sources and
// fails when the file is stale). Refuses to run from a dist/ older than the sources.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// every source the table is built from: jfish, the operation records and what they import
const srcDir = join(root, 'src');
const distDir = join(root, 'dist/src');
const jfishDist = join(distDir, 'tools/jfish');

/** Every .ts under dir, recursively. */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

for (const ts of sources(srcDir)) {
  const js = join(distDir, relative(srcDir, ts)).replace(/\.ts$/, '.js');
  let built;
  try {
    built = statSync(js).mtimeMs;
  } catch {
    console.error(`gen-docs: ${relative(root, js)} is missing: run npm run build first`);
    process.exit(1);
  }
  if (statSync(ts).mtimeMs > built) {
    console.error(`gen-docs: ${relative(root, ts)} is newer than dist/: run npm run build first`);
    process.exit(1);
  }
}

const { commandReference, DOCS_FILE } = await import(pathToFileURL(join(jfishDist, 'docs.js')).href);
const { commands } = await import(pathToFileURL(join(jfishDist, 'table.js')).href);
const out = join(root, DOCS_FILE);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, commandReference(commands));
console.log(`wrote ${DOCS_FILE} (${commands.length} commands)`);
