// The rpm >= 4.16 database: an SQLite file whose table `Packages (hnum INTEGER PRIMARY KEY
// AUTOINCREMENT, blob BLOB NOT NULL)` holds one header blob per installed package (the other
// tables are indexes). Read in memory with sql.js (SQLite compiled to WebAssembly): no native
// build, nothing written to the guest or the host.
//
// rpm opens the database in WAL mode. A clean shutdown leaves the write-ahead log empty; a
// guest that crashed or was copied while running can have committed transactions only in
// `rpmdb.sqlite-wal`. applyWal() folds those into the in-memory copy the way SQLite's own
// recovery does (valid frames up to the last commit), so the list matches what rpm in the
// guest would show.
//
// sql.js is loaded on first use, with Node's require from this file's location rather than a
// static import: bundlers (esbuild into dist/bundle) then leave it out, and its Emscripten
// glue, which needs CommonJS's __dirname, runs as the CommonJS module it is. Its .wasm is read
// from the package directory and handed over as bytes.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Database, InitSqlJsStatic, SqlJsStatic, Statement } from 'sql.js';
import { JootError } from '../../core/errors.js';
import { NeedMoreBytes } from './rpm-header.js';

let sqlJs: Promise<SqlJsStatic> | undefined;

/** Start loading sql.js (reading and compiling its WebAssembly) now, e.g. while the database
 *  file is read; a failure is reported by the call that uses it. */
export function preloadSqlJs(): void {
  loadSqlJs().catch(() => undefined);
}

function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJs ??= (async () => {
    const require = createRequire(import.meta.url);
    const init = require('sql.js') as InitSqlJsStatic;
    const wasm = await readFile(require.resolve('sql.js/dist/sql-wasm.wasm'));
    const exitCode = process.exitCode;
    try {
      return await init({ wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer });
    } finally {
      // Emscripten's exit/abort handler sets process.exitCode; an error here is ours to report
      process.exitCode = exitCode;
    }
  })().catch((e: unknown) => {
    sqlJs = undefined;
    throw new JootError('EUNSUPPORTED', `cannot load sql.js: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  });
  return sqlJs;
}

const WAL_MAGIC_LE = 0x377f0682; // checksums over little-endian words
const WAL_MAGIC_BE = 0x377f0683; // checksums over big-endian words
const WAL_HEADER = 32;
const WAL_FRAME_HEADER = 24;

/** The write-ahead log cannot be used (SQLite would ignore it; the caller decides). */
export class BadWal extends JootError {
  constructor(why: string) {
    super('EFORMAT', `bad write-ahead log: ${why}`);
  }
}

function badWal(why: string): BadWal {
  return new BadWal(why);
}

/** SQLite's WAL checksum: running sums over pairs of 32-bit words. */
function walChecksum(data: DataView, start: number, end: number, bigEndian: boolean, s: [number, number]): void {
  let s0 = s[0];
  let s1 = s[1];
  for (let i = start; i < end; i += 8) {
    s0 = (s0 + data.getUint32(i, !bigEndian) + s1) >>> 0;
    s1 = (s1 + data.getUint32(i + 4, !bigEndian) + s0) >>> 0;
  }
  s[0] = s0;
  s[1] = s1;
}

/**
 * The database as SQLite would see it after recovering `wal`: the committed frames of the
 * log written over a copy of `db`. Frames after the last commit, or after the first frame
 * whose salt or checksum does not match, are ignored (they were never committed).
 * `maxBytes` caps the size of the result. Returns `db` itself when the log adds nothing.
 */
export function applyWal(db: Uint8Array, wal: Uint8Array, maxBytes: number): Uint8Array {
  if (wal.length < WAL_HEADER) return db; // empty or torn header: nothing committed
  const w = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
  const magic = w.getUint32(0);
  if (magic !== WAL_MAGIC_LE && magic !== WAL_MAGIC_BE) throw badWal('no WAL magic');
  const bigEndian = magic === WAL_MAGIC_BE;
  const pageSize = w.getUint32(8);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw badWal(`bad page size ${pageSize}`);
  const sum: [number, number] = [0, 0];
  walChecksum(w, 0, 24, bigEndian, sum);
  if (sum[0] !== w.getUint32(24) || sum[1] !== w.getUint32(28)) return db; // header never completed
  if (db.length >= 18) {
    const raw = (db[16]! << 8) | db[17]!;
    const dbPageSize = raw === 1 ? 65536 : raw;
    if (dbPageSize !== pageSize) throw badWal(`page size ${pageSize} differs from the database's ${dbPageSize}`);
  }
  const salt1 = w.getUint32(16);
  const salt2 = w.getUint32(20);
  // pass 1: find the last valid commit frame
  const frameSize = WAL_FRAME_HEADER + pageSize;
  let committedFrames = 0;
  let dbPages = 0;
  for (let f = 0, off = WAL_HEADER; off + frameSize <= wal.length; f++, off += frameSize) {
    const pgno = w.getUint32(off);
    if (pgno === 0 || w.getUint32(off + 8) !== salt1 || w.getUint32(off + 12) !== salt2) break;
    walChecksum(w, off, off + 8, bigEndian, sum);
    walChecksum(w, off + WAL_FRAME_HEADER, off + frameSize, bigEndian, sum);
    if (sum[0] !== w.getUint32(off + 16) || sum[1] !== w.getUint32(off + 20)) break;
    const commit = w.getUint32(off + 4);
    if (commit !== 0) {
      committedFrames = f + 1;
      dbPages = commit;
    }
  }
  if (committedFrames === 0) return db;
  if (dbPages * pageSize > maxBytes) throw badWal(`recovered database of ${dbPages} pages is larger than ${maxBytes} bytes`);
  // pass 2: write the committed frames, in order, over a copy cut to the committed size
  const out = new Uint8Array(dbPages * pageSize);
  out.set(db.subarray(0, Math.min(db.length, out.length)));
  for (let f = 0, off = WAL_HEADER; f < committedFrames; f++, off += frameSize) {
    const pgno = w.getUint32(off);
    if (pgno <= dbPages) out.set(wal.subarray(off + WAL_FRAME_HEADER, off + frameSize), (pgno - 1) * pageSize);
  }
  // The database header's page count is trusted only when its version-valid-for matches the
  // change counter, which WAL mode does not keep up: make it tell the recovered size.
  if (out.length >= 100) {
    const h = new DataView(out.buffer, out.byteOffset, out.byteLength);
    h.setUint32(28, dbPages);
    h.setUint32(92, h.getUint32(24));
  }
  return out;
}

/** How much of each blob is fetched first; the fields of a listing sit in the first KiB. */
const PREFIX_BYTES = 4096;

/**
 * Calls `decode` on every row of `Packages` of an rpm sqlite database given as bytes (with
 * its write-ahead log, if any), in hnum order, and returns what it returns. `decode` gets the
 * first bytes of the blob and the blob's length; when it throws NeedMoreBytes it is called
 * again with the whole blob. (sql.js copies a blob out of WebAssembly memory one byte at a
 * time: fetching the ~2% of each header a listing needs instead of all of it makes a
 * 2,000-package database several times faster.) A value that is not a BLOB is given as 0
 * bytes of length 0. With `owned`, `db` is the caller's own copy and may be changed in place
 * (saves a copy of the whole database; sql.js makes one more of its own in any case).
 */
export async function readSqlitePackages<T>(
  db: Uint8Array,
  wal: Uint8Array | undefined,
  maxBytes: number,
  decode: (blob: Uint8Array, length: number, hnum: number) => T,
  opts: { owned?: boolean } = {},
): Promise<T[]> {
  let bytes = wal ? applyWal(db, wal, maxBytes) : db;
  if (bytes.length < 100 || Buffer.from(bytes.subarray(0, 16)).toString('latin1') !== 'SQLite format 3\0') {
    throw new JootError('EFORMAT', 'not an SQLite database');
  }
  // WAL mode (bytes 18 and 19 = 2) → rollback mode, on our private copy: the log, if any, is
  // already folded in, and sqlite must not look for one in sql.js's in-memory file system.
  if (bytes[18] === 2 || bytes[19] === 2) {
    if (bytes === db && !opts.owned) bytes = db.slice(); // owned: the caller's own copy, no second one
    bytes[18] = 1;
    bytes[19] = 1;
  }
  const SQL = await loadSqlJs();
  const exitCode = process.exitCode;
  let database: Database | undefined;
  const statements: Statement[] = [];
  try {
    database = new SQL.Database(bytes);
    // substr() of a BLOB is a BLOB; of anything else, not: such rows are reported, not read
    const rows = database.prepare(`SELECT hnum, length(blob), substr(blob, 1, ${PREFIX_BYTES}) FROM Packages ORDER BY hnum`);
    statements.push(rows);
    let whole: Statement | undefined;
    const out: T[] = [];
    while (rows.step()) {
      const [hnum, length, prefix] = rows.get();
      const n = typeof hnum === 'number' ? hnum : -1;
      if (typeof length !== 'number' || !(prefix instanceof Uint8Array)) {
        out.push(decode(new Uint8Array(0), 0, n));
        continue;
      }
      try {
        out.push(decode(prefix, length, n));
      } catch (e) {
        if (!(e instanceof NeedMoreBytes)) throw e;
        if (!whole) statements.push((whole = database.prepare('SELECT blob FROM Packages WHERE hnum = ?')));
        const [blob] = whole.get([n]);
        whole.reset();
        const full = blob instanceof Uint8Array ? blob : new Uint8Array(0);
        out.push(decode(full, full.length, n));
      }
    }
    return out;
  } catch (e) {
    if (e instanceof JootError) throw e;
    throw new JootError('EFORMAT', `sqlite: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    for (const st of statements) st.free();
    database?.close();
    process.exitCode = exitCode;
  }
}
