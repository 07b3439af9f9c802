// A tool's start (or a vendored package's load: vendor-queue.cjs) through V8's code cache
// (copied into dist/bundle by scripts/bundle.mjs, with CODE and BUILD filled in). Compiling the
// ~2 MB bundle costs a node start tens of ms on every call; the cache holds the compiled code
// instead. It is written when the first run exits (then it also holds every function that run
// compiled), named after the build (a process still running from a replaced bundle cannot
// leave a stale cache for the new one), next to the code; where that directory is not
// writable, every run compiles, as without it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const code = path.join(__dirname, 'CODE');
// V8 rejects a cache made under other flags: one cache per set of node options (FNV-1a of them).
// The permission model's flags (bin/launch.sh's sandbox: the files it may read) are node's, not
// V8's: left out, so the sandboxed runs share the cache of the first run, which writes it.
const v8Flags = process.execArgv.filter((a) => !/^--(experimental-permission|allow-[a-z-]+|disable-warning)(=|$)/.test(a));
let flags = 0x811c9dc5;
for (const c of v8Flags.join(' ')) flags = Math.imul(flags ^ c.charCodeAt(0), 0x01000193) >>> 0;
// jfish keeps two caches (scripts/train-code-cache.mjs): for runs that inspect (-i) and for the
// device-level rest, each without what only the other compiles (a run deserializes all of its
// cache). Where a run's own is missing it starts from the other, and writes its own.
const kind = SPLIT_BY_INSPECTION && !process.argv.slice(2).some((a) => a === '-i' || a === '--inspector') ? '.devices' : '';
const cacheName = (k) => path.join(__dirname, `CODE.BUILD.${flags.toString(16)}${k}.cache`);
const cacheFile = cacheName(kind);
let cached;
let own = true;
try {
  cached = fs.readFileSync(cacheFile);
} catch {
  // none yet
  try {
    if (SPLIT_BY_INSPECTION) cached = fs.readFileSync(cacheName(kind ? '' : '.devices'));
    own = false;
  } catch {
    // none at all
  }
}
// ASCII (checked by the build): latin1 reads it as one-byte text, without UTF-8 decoding
const script = new vm.Script(
  `(function (exports, require, module, __filename, __dirname, __jootImport) {${fs.readFileSync(code, 'latin1')}\n})`,
  { filename: code, cachedData: cached },
);
// a sandboxed run may write nothing: it compiles, as where the directory is not writable
const mayWrite = process.permission === undefined || process.permission.has('fs.write', cacheFile);
if ((cached === undefined || !own || script.cachedDataRejected) && mayWrite) {
  process.once('exit', () => {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o644 });
      fs.renameSync(tmp, cacheFile);
    } catch {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // nothing more to do: the next run compiles again
      }
    }
  });
}
const mod = { exports: {} };
// the code's dynamic imports (node's modules, dist/bundle/vendor-*.mjs), resolved from here
const importHere = (specifier) => import(specifier);
// this file's require: it resolves from the code's directory, as one made for the code would
// (without node:module, which loads node's ESM loader)
script.runInThisContext()(mod.exports, require, mod, code, __dirname, importHere);
// a vendored package (vendor-queue.cjs) gives its exports to whoever requires it
module.exports = mod.exports;
