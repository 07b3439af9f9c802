// Bundle each tool into one ESM file: loading ~150 small modules (execa, yargs and their
// dependencies) costs ~100 ms of startup on every call; one file loads in a fraction.
// tsc still type-checks and emits dist/src for the library API.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// Built into a fresh directory that then replaces dist/bundle: tools started meanwhile keep
// working (a build never leaves them without a bundle), and stale chunks do not pile up.
const out = `dist/bundle.new-${process.pid}`;
rmSync(out, { recursive: true, force: true });
mkdirSync('dist', { recursive: true });

const tools = {
  jfish: 'src/tools/jfish/main.ts',
  jinspect: 'src/tools/jinspect/main.ts',
  jformat: 'src/tools/jformat/main.ts',
  joot: 'src/tools/joot/main.ts',
  jwinreg: 'src/tools/jwinreg/main.ts',
};

await build({
  entryPoints: tools,
  outdir: out,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // rarely needed modules (yargs for --help and friends) load only when used
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // some dependencies are CommonJS and call require()
  banner: { js: "import { createRequire as __jootRequire } from 'node:module'; const require = __jootRequire(import.meta.url);" },
});

// The replaced bundle stays a while: a tool still running from it may load a chunk late.
for (const d of readdirSync('dist')) {
  const replacedAt = Number(/^bundle\.old-\d+-(\d+)$/.exec(d)?.[1] ?? NaN);
  if (Date.now() - replacedAt > 10 * 60_000) rmSync(`dist/${d}`, { recursive: true, force: true });
}
if (existsSync('dist/bundle')) renameSync('dist/bundle', `dist/bundle.old-${process.pid}-${Date.now()}`);
renameSync(out, 'dist/bundle');
