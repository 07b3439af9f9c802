// Bundle each tool into one ESM file: loading ~150 small modules (execa, yargs and their
// dependencies) costs ~100 ms of startup on every call; one file loads in a fraction.
// tsc still type-checks and emits dist/src for the library API.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

// Large packages that are only ever imported dynamically, also as entry points of their own
// (vendor-NAME.mjs): the CommonJS jfish below imports them from there when it needs them,
// instead of carrying them (half its size) into every start.
const vendored = ['execa', 'yargs', 'hash-wasm', 'fzstd', 'bullmq', 'ioredis'];
// vendored under a short name (vendor-cyclonedx-models.mjs …): the parts of jinspect --sbom's
// library it uses (its root also loads the schema resources, which need __dirname)
const vendoredAs = Object.fromEntries(
  ['Models', 'Enums', 'Serialize', 'Spec', 'SPDX'].map((p) => [`cyclonedx-${p.toLowerCase()}`, `@cyclonedx/cyclonedx-library/${p}`]),
);
const vendorEntries = { ...Object.fromEntries(vendored.map((p) => [p, p])), ...vendoredAs };
const vendorName = new Map(Object.entries(vendorEntries).map(([n, p]) => [p, n]));

// @cyclonedx/cyclonedx-library's optional peers (XML, validation, purl parsing): joot uses none
// of those parts; left as require()s the library guards, they need not be installed. (Its peer
// spdx-expression-parse is joot's own dependency: bundled.)
const optionalPeers = ['xmlbuilder2', 'libxmljs2', 'ajv', 'ajv-formats', 'ajv-formats-draft2019', 'packageurl-js'];

// Nothing is left in node_modules: BullMQ and ioredis (jinspect --queue/--worker) are vendored
// too (bundled, they load in a third of the time of their ~200 files); BullMQ's sandboxed
// processors, which fork BullMQ's own files, are not used (queue-pool.ts runs the job processes).
const external = [];

// node:fs/promises and node:os loaded at their first call, not when a module importing them is
// evaluated: fs/promises brings readline, fs watchers and dir along (~18 M instructions, a few ms
// of every start), os ~2 M; a short run (`jfish --ro … list-filesystems`) calls neither. Each
// function export becomes a wrapper that loads the module; the few values are built in (fs's
// constants, which fs/promises shares; os's strings, and its constants through getters).
// In the CommonJS scripts node:module too (~5 M, loads the ESM loader): what they take from it is
// createRequire(import.meta.url), and that is the script's own require (the loader's, which
// resolves from the same directory).
const lazyBuiltins = (cjs) => ({
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: cjs ? /^(node:)?(fs\/promises|os|module)$/ : /^(node:)?(fs\/promises|os)$/ }, (a) =>
      // the wrapper's own require() is node's
      a.namespace === 'lazy-builtin' ? { path: a.path, external: true } : { path: a.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (a) => {
      const lines = [`let m;`, `const load = () => (m ??= require('node:${a.path}'));`];
      if (a.path === 'module') {
        lines.push('export const createRequire = (url) => (url === __jootImportMetaUrl ? require : load().createRequire(url));');
        return { contents: lines.join('\n'), loader: 'js' };
      }
      const real = await import(`node:${a.path}`);
      const names = Object.keys(real).filter((k) => k !== 'default');
      for (const k of names) {
        const v = real[k];
        if (typeof v === 'function') lines.push(`export const ${k} = (...a) => load().${k}(...a);`);
        else if (typeof v === 'string') lines.push(`export const ${k} = ${JSON.stringify(v)};`);
        else if (a.path === 'fs/promises' && k === 'constants') lines.push(`export const constants = require('node:fs').constants;`);
        else if (v && typeof v === 'object') {
          lines.push(
            `export const ${k} = {${Object.keys(v)
              .map((p) => `get ${JSON.stringify(p)}() { return load().${k}[${JSON.stringify(p)}]; }`)
              .join(', ')}};`,
          );
        } else throw new Error(`lazy-builtins: node:${a.path}.${k} is a ${typeof v}`);
      }
      lines.push(`export default { ${names.join(', ')} };`);
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
});

await build({
  entryPoints: {
    ...tools,
    ...Object.fromEntries(Object.entries(vendorEntries).map(([n, p]) => [`vendor-${n}`, p])),
  },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  external: [...external, ...optionalPeers],
  plugins: [lazyBuiltins(false)],
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

// jfish also as one CommonJS script, which bin/jfish starts through V8's code cache
// (code-cache-loader.cjs): no module graph to load, no bundle to compile again on every call.
// Dynamic imports of its own modules become lazy requires within the file: what a run does
// not use is never evaluated; those of node's modules and the vendored packages stay imports
// (the loader gives the script node's ESM loader for them). import.meta.url (version(), sql.js's require) is the code file's URL.
const cached = { jfish: 'src/tools/jfish/main.ts', jinspect: 'src/tools/jinspect/main.ts' };
// BullMQ with ioredis (jinspect --queue/--worker) as a CommonJS script of its own, started
// through the same code cache: as an ESM chunk each worker start compiled its ~2 MB again (~40 ms
// of a worker's time to its first job, on every worker). The queue code requires it lazily.
const queueVendor = { path: './vendor-queue.cjs', packages: ['bullmq', 'ioredis'] };
/** The code-cache loader of `code` (a file in the bundle): `id` names the build, `split` jfish's two caches. */
function cacheLoader(code, id, split) {
  const loader = readFileSync('scripts/code-cache-loader.cjs', 'utf8')
    .replace('`CODE.BUILD.', `\`${code}.${id}.`)
    .replace("'CODE'", `'${code}'`)
    .replaceAll('SPLIT_BY_INSPECTION', String(split));
  if (loader.includes("'CODE") || loader.includes('`CODE') || loader.includes('SPLIT_BY'))
    throw new Error('code-cache-loader.cjs: CODE not filled in');
  return loader;
}
/** Reads back a minified CommonJS build: ASCII only (the loader reads it as latin1), and its id. */
function asciiBuild(code) {
  const bytes = readFileSync(`${out}/${code}`);
  if (bytes.some((b) => b > 0x7f)) throw new Error(`${code}: not ASCII`);
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}
// what the minified CommonJS scripts started through the code cache share
const cjsScript = {
  bundle: true,
  external: [...external, ...optionalPeers],
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // without comments and indentation the file is ASCII and smaller: read, hashed and decoded
  // faster (a non-ASCII byte would make all of it a two-byte string)
  minify: true,
  charset: 'ascii',
  sourcemap: true,
  logLevel: 'warning',
};
{
  const code = 'vendor-queue-code.cjs';
  await build({
    ...cjsScript,
    stdin: { contents: "module.exports = { ...require('bullmq'), Redis: require('ioredis').Redis };", resolveDir: '.', loader: 'js' },
    outfile: `${out}/${code}`,
  });
  writeFileSync(`${out}/${queueVendor.path.slice(2)}`, cacheLoader(code, asciiBuild(code), false));
}
for (const [tool, entry] of Object.entries(cached)) {
  const code = `${tool}-code.cjs`;
  await build({
    ...cjsScript,
    entryPoints: [entry],
    outfile: `${out}/${code}`,
    plugins: [
      lazyBuiltins(true),
      {
        name: 'vendored',
        setup(b) {
          const filter = new RegExp(`^(${[...vendorName.keys()].map((p) => p.replace(/[/.]/g, '\\$&')).join('|')})$`);
          b.onResolve({ filter }, (a) =>
            queueVendor.packages.includes(a.path)
              ? { path: queueVendor.path, external: true }
              : { path: `./vendor-${vendorName.get(a.path)}.mjs`, external: true },
          );
        },
      },
    ],
    define: { 'import.meta.url': '__jootImportMetaUrl' },
    banner: { js: "const __jootImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  // A script compiled by vm.Script (from the cache) cannot import(): node 20 drops its import
  // callback with cached data. The loader passes its own import as __jootImport, for node's
  // modules and the vendored packages, the only dynamic imports left in the file. The CommonJS
  // vendor (BullMQ) is required instead (the loader's require resolves from the bundle).
  const text = readFileSync(`${out}/${code}`, 'latin1')
    .replace(/\bimport\(("(?:node:[a-z0-9_/]+|\.\/vendor-[a-z-]+\.mjs)")\)/g, '__jootImport($1)')
    .replaceAll(`import("${queueVendor.path}")`, `Promise.resolve().then(() => require("${queueVendor.path}"))`);
  if (/\bimport\(/.test(text)) throw new Error(`${code}: a dynamic import left that the loader cannot serve`);
  writeFileSync(`${out}/${code}`, text, 'latin1');
  writeFileSync(`${out}/${tool}.cjs`, cacheLoader(code, asciiBuild(code), tool === 'jfish'));
}

// The replaced bundle stays a while: a tool still running from it may load a chunk late.
for (const d of readdirSync('dist')) {
  const replacedAt = Number(/^bundle\.old-\d+-(\d+)$/.exec(d)?.[1] ?? NaN);
  if (Date.now() - replacedAt > 10 * 60_000) rmSync(`dist/${d}`, { recursive: true, force: true });
}
if (existsSync('dist/bundle')) renameSync('dist/bundle', `dist/bundle.old-${process.pid}-${Date.now()}`);
renameSync(out, 'dist/bundle');
