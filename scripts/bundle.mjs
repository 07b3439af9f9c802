// Bundle each tool into one ESM file: loading ~150 small modules (execa, yargs and their
// dependencies) costs ~100 ms of startup on every call; one file loads in a fraction.
// tsc still type-checks and emits dist/src for the library API.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// stale chunks of earlier builds would pile up
rmSync('dist/bundle', { recursive: true, force: true });

const tools = {
  jfish: 'src/tools/jfish/main.ts',
  jinspect: 'src/tools/jinspect/main.ts',
  jformat: 'src/tools/jformat/main.ts',
  joot: 'src/tools/joot/main.ts',
};

await build({
  entryPoints: tools,
  outdir: 'dist/bundle',
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
