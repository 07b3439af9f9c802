// Unit tests of the rpm database readers: the header blob parser (hand-built blobs, a real
// blob written by rpm 4.18, truncations, garbage, mutations), the Berkeley DB hash reader (real
// files written by db5.3_load, both byte orders, duplicates, and hostile edits of them), the
// ndb reader (hand-built), the sqlite reader (databases made with sql.js) and the entry point
// against an in-memory GuestFiles. Nothing here needs rpm, db5.3-util or root.
//
// Embedded files: HELLO_BLOB is package hello-joot from `make-rpmdb.sh ROOT sqlite`
// (`sqlite3 rpmdb.sqlite "select hex(blob) from Packages where hnum=5" | xxd -r -p`). The BDB
// files are `db5.3_load [-c db_lorder=4321] -f X.dump X.db` of db_dump "bytevalue" input:
//   le/be: type=hash, db_pagesize=512, keys 0..59 as 4-byte ints in the file's byte order,
//          values `rec-${i}:` + 'x' × ((i × 37) % 900)  (inline items and overflow chains)
//   dup:   type=hash, duplicates=1, db_pagesize=512, a→one,two,three  b→four  c→five,six
// NDB_RPM is a Packages.db written by rpm 4.18's own ndb code (lib/backend/ndb/rpmpkg.c from
// Debian's rpm source package, compiled with a 30-line driver: rpmpkgPut of the 6 header blobs
// of `make-rpmdb.sh ROOT sqlite` as packages 1..6, then rpmpkgDel(2), then rpmpkgVerify); Debian's
// rpm itself is built without ndb.
// Each file then went through `gzip -9 -n | base64 -w0`.
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import type { InitSqlJsStatic, SqlJsStatic } from 'sql.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { readBdbHash } from '../../src/inspect/apps/rpm-bdb.js';
import { NeedMoreBytes, readRpmPackage, RPM_TYPE, RpmHeader } from '../../src/inspect/apps/rpm-header.js';
import { readNdbBlobs } from '../../src/inspect/apps/rpm-ndb.js';
import { applyWal, readSqlitePackages } from '../../src/inspect/apps/rpm-sqlite.js';
import { comparePackages, RPMDB_MAX, rpmApplications, rpmvercmp } from '../../src/inspect/apps/rpm.js';
import type { GuestFiles } from '../../src/inspect/types.js';
import { prng } from './prng.js';

// ---------------------------------------------------------------------------------------------
// helpers

type Value = string | string[] | number[] | Uint8Array;
interface Tag {
  tag: number;
  type: number;
  value: Value;
}

/** An rpm header blob as the rpmdb stores it (no magic): il, dl, index, data. Entries are
 *  written in the order given (rpm sorts them by tag; the parser must not care). */
function buildHeader(tags: Tag[]): Uint8Array {
  const data: number[] = [];
  const index: number[][] = [];
  const be32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  for (const t of tags) {
    let count: number;
    let bytes: number[];
    if (t.type === RPM_TYPE.INT32) {
      while (data.length % 4) data.push(0);
      const nums = t.value as number[];
      count = nums.length;
      bytes = nums.flatMap(be32);
    } else if (t.type === RPM_TYPE.STRING) {
      count = 1;
      bytes = [...Buffer.from(t.value as string), 0];
    } else if (t.type === RPM_TYPE.STRING_ARRAY || t.type === RPM_TYPE.I18NSTRING) {
      const strs = t.value as string[];
      count = strs.length;
      bytes = strs.flatMap((s) => [...Buffer.from(s), 0]);
    } else {
      const b = t.value as Uint8Array;
      count = b.length;
      bytes = [...b];
    }
    index.push([...be32(t.tag), ...be32(t.type), ...be32(data.length), ...be32(count)]);
    data.push(...bytes);
  }
  return Uint8Array.from([...be32(tags.length), ...be32(data.length), ...index.flat(), ...data]);
}

const S = RPM_TYPE.STRING;
const I18N = RPM_TYPE.I18NSTRING;
const INT32 = RPM_TYPE.INT32;

/** A package header with the usual tags. */
function pkgHeader(p: {
  name: string;
  epoch?: number;
  version?: string;
  release?: string;
  arch?: string;
  url?: string;
  summary?: string;
  description?: string;
  extra?: Tag[];
}): Uint8Array {
  const tags: Tag[] = [{ tag: 1000, type: S, value: p.name }];
  tags.push({ tag: 1001, type: S, value: p.version ?? '1.0' });
  tags.push({ tag: 1002, type: S, value: p.release ?? '1' });
  if (p.epoch !== undefined) tags.push({ tag: 1003, type: INT32, value: [p.epoch] });
  tags.push({ tag: 1004, type: I18N, value: [p.summary ?? `${p.name} summary`] });
  tags.push({ tag: 1005, type: I18N, value: [p.description ?? `${p.name} description`] });
  if (p.url !== undefined) tags.push({ tag: 1020, type: S, value: p.url });
  tags.push({ tag: 1022, type: S, value: p.arch ?? 'x86_64' });
  tags.push(...(p.extra ?? []));
  return buildHeader(tags);
}

function expectJootError(fn: () => unknown, code: string, re?: RegExp): JootError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a JootError').toBeInstanceOf(JootError);
  const je = err as JootError;
  expect(je.code).toBe(code);
  if (re) expect(je.message).toMatch(re);
  return je;
}

/** Runs fn; it must return or throw a JootError (never a TypeError, RangeError, …). */
function returnsOrJootError(fn: () => unknown): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof JootError)) throw new Error(`not a JootError: ${String(e)}`, { cause: e });
    return 'error';
  }
}

/** An in-memory guest: path → bytes. readFile honours maxBytes like GuestReader. */
function memGuest(files: Record<string, Uint8Array | string>): GuestFiles & { reads: { path: string; maxBytes?: number }[] } {
  const reads: { path: string; maxBytes?: number }[] = [];
  const get = (p: string): Buffer => {
    const v = files[p];
    if (v === undefined) throw new JootError('ENOENT', `${p}: No such file or directory`);
    return Buffer.from(v);
  };
  return {
    reads,
    async readFile(p, opts) {
      reads.push({ path: p, maxBytes: opts?.maxBytes });
      const b = get(p);
      if (opts?.maxBytes !== undefined && b.length > opts.maxBytes)
        throw new JootError('EINVAL', `${p}: file is larger than ${opts.maxBytes} bytes`);
      return b;
    },
    async readHead(p, n) {
      return get(p).subarray(0, n);
    },
    async readText(p, opts) {
      return (await this.readFile(p, opts)).toString('utf8');
    },
    async readLines(p, opts) {
      return (await this.readText(p, opts)).split('\n');
    },
    async readdir() {
      return [];
    },
    async readlink(p) {
      throw new JootError('EINVAL', `${p}: not a link`);
    },
    async exists(p) {
      return files[p] !== undefined;
    },
    async isFile(p) {
      return files[p] !== undefined;
    },
    async isDir() {
      return false;
    },
  };
}

let SQL: SqlJsStatic;
beforeAll(async () => {
  const require = createRequire(import.meta.url);
  SQL = await (require('sql.js') as InitSqlJsStatic)();
});

/** An rpm-shaped sqlite database (the table as rpm 4.18 creates it) holding `blobs`. */
function sqliteDb(blobs: (Uint8Array | string)[], opts: { table?: string } = {}): Uint8Array {
  const db = new SQL.Database();
  db.run(`CREATE TABLE '${opts.table ?? 'Packages'}' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)`);
  const st = db.prepare(`INSERT INTO '${opts.table ?? 'Packages'}' (blob) VALUES (?)`);
  for (const b of blobs) st.run([b]);
  st.free();
  const out = db.export();
  db.close();
  return out;
}

/** A hand-built ndb Packages.db (lib/backend/ndb/rpmpkg.c layout), one slot page. */
function ndbFile(blobs: Uint8Array[]): Uint8Array {
  const PAGE = 4096;
  const le = (n: number): number[] => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
  const magic = (s: string): number[] => [...Buffer.from(s, 'latin1')];
  const slots = new Uint8Array(PAGE);
  slots.set([...magic('RpmP'), ...le(0), ...le(1), ...le(1), ...le(blobs.length + 1)], 0);
  for (let o = 32; o < PAGE; o += 16) slots.set(magic('Slot'), o);
  const body: number[] = [];
  let blk = PAGE / 16;
  blobs.forEach((b, i) => {
    const pkgidx = i + 1;
    const cnt = Math.ceil((16 + b.length + 12) / 16);
    slots.set([...magic('Slot'), ...le(pkgidx), ...le(blk), ...le(cnt)], 32 + 16 * i);
    const rec = new Uint8Array(cnt * 16);
    rec.set([...magic('BlbS'), ...le(pkgidx), ...le(1700000000), ...le(b.length)], 0);
    rec.set(b, 16);
    let s1 = 1;
    let s2 = 0;
    for (let j = 0; j < rec.length - 12; j++) {
      s1 = (s1 + rec[j]!) % 65521;
      s2 = (s2 + s1) % 65521;
    }
    rec.set([...le(((s2 << 16) | s1) >>> 0), ...le(b.length), ...magic('BlbE')], rec.length - 12);
    body.push(...rec);
    blk += cnt;
  });
  return Uint8Array.from([...slots, ...body]);
}

function gz(b64: string): Uint8Array {
  return new Uint8Array(gunzipSync(Buffer.from(b64, 'base64')));
}

// ---------------------------------------------------------------------------------------------
// embedded real files (see the top of this file)

const HELLO_BLOB_B64 = [
  'AAAAKgAAAtQAAAA/AAAABwAAAjEAAAAQAAAAZAAAAAgAAAAAAAAAAQAAA+gAAAAGAAAAAgAAAAEAAAPpAAAABgAAAA0AAAABAAAD',
  '6gAAAAYAAAATAAAAAQAAA+sAAAAEAAAAHAAAAAEAAAPsAAAACQAAACAAAAABAAAD7QAAAAkAAAAzAAAAAQAAA+4AAAAEAAAAfAAA',
  'AAEAAAPvAAAABgAAAIAAAAABAAAD8QAAAAQAAACEAAAAAQAAA/YAAAAGAAAAiAAAAAEAAAP4AAAACQAAAIwAAAABAAAD/AAAAAYA',
  'AACYAAAAAQAAA/0AAAAGAAAAsgAAAAEAAAP+AAAABgAAALgAAAABAAAEFAAAAAYAAAC/AAAAAQAABBcAAAAIAAAA3gAAAAEAAAQY',
  'AAAABAAAAOwAAAADAAAEGQAAAAgAAAD4AAAAAwAABBoAAAAIAAABRwAAAAMAAAQoAAAABgAAAV0AAAABAAAEWAAAAAQAAAFkAAAA',
  'AQAABFkAAAAIAAABaAAAAAEAAARiAAAABgAAAXYAAAABAAAEZAAAAAYAAAF9AAAAAQAABGUAAAAGAAABggAAAAEAAARmAAAABgAA',
  'AYcAAAABAAAEbAAAAAYAAAGJAAAAAQAAE5MAAAAEAAABoAAAAAEAABPGAAAABgAAAaQAAAABAAAT5AAAAAgAAAGqAAAAAQAAE+UA',
  'AAAEAAAB7AAAAAEAABPpAAAACAAAAfAAAAABAAABAQAAAAQAAAJEAAAAAQAAAQUAAAAHAAACSAAAABAAAAENAAAABgAAAlgAAAAB',
  'AAABEQAAAAYAAAKBAAAAAQAAA/AAAAAEAAACxAAAAAEAAAQWAAAABAAAAsgAAAABAAAEZwAAAAQAAALMAAAAAQAABGgAAAAEAAAC',
  '0AAAAAFDAGhlbGxvLWpvb3QAMS4yLjMANC5qdDEAAAAAAAAAAlNheXMgaGVsbG8gdG8gam9vdABGaXJzdCBsaW5lIG9mIHRoZSBk',
  'ZXNjcmlwdGlvbi4KU2Vjb25kIGxpbmUsIHdpdGggInF1b3RlcyIgJiA8eG1sPiBjaGFycy4AawI7SnZtAAAAAAAATUlUAFVuc3Bl',
  'Y2lmaWVkAGh0dHBzOi8vZXhhbXBsZS5vcmcvaGVsbG8AbGludXgAbm9hcmNoAGhlbGxvLWpvb3QtMS4yLjMtNC5qdDEuc3JjLnJw',
  'bQBoZWxsby1qb290AAAAAAEAAAoBAAAKAQAACnJwbWxpYihDb21wcmVzc2VkRmlsZU5hbWVzKQBycG1saWIoRmlsZURpZ2VzdHMp',
  'AHJwbWxpYihQYXlsb2FkRmlsZXNIYXZlUHJlZml4KQAzLjAuNC0xADQuNi4wLTEANC4wLTEANC4xOC4wAAAAAAgyOjEuMi4zLTQu',
  'anQxAC1PMiAtZwBjcGlvAGd6aXAAOQBub2FyY2gtZGViaWFuLWxpbnV4AAAAAAAAAAh1dGYtOABhZjM5ZTFjMTlhZjQ3OGFlZjdh',
  'MDNiZTk4ZWZhOWQ5YmFhMjI4ZmI5ZjkzZTM4NDJkNmQ3YjE0YTE0NjVhNDU5AAAAAAAIMjNkMDQyMmI0ZmVhMjhmNzcxZTg3Mjc0',
  'MWJiMzcwNzkwYjNjZDA1MzhlYWZiNDYxMjMzZTgyMGI4NGI1N2EyZQAAAAA/AAAAB////eAAAAAQAAAAAAAEoankkvg8WT3rBoNT',
  '62B6FQ81ZmVkY2NlYTk4ODBlMDg1ODNlZmMwNmJiMmVhYWY0ZDcwZWVlMThmAGQ1Y2NiZjM2ODNjODgzYjQ2MzdjMmU1ZThkYjA5',
  'YjEzOTIxNTEwNDliNmYwNTEzMTJlY2Y5YTBkNmRhZDgzODcAAABrAjtKAAAAfAAAAANrAjtK',
].join('');

const BDB_LE_GZ_B64 = [
  'H4sIAAAAAAACA+1cWWiUVxQ+X8xiEqMxGqNGozFqNhOTWbIZ17jENaV2AQtCKlqhtXVr1WKxIBVbsYJ0QSkpfSgEpeiDRVpLrQg+',
  'FEQqQhGkFbRF6IMgvtiC7T0z54/31mqjTuJk7rkQzjlfZv7//vOd7yZzl0NEBIq3zsJMymYnzfwMjmMddH/D5FKiu0T7KjYePjop',
  'jg2Sn+Barebnp/3rV0OwMtKWrA0Wb9xKKBOU9xdu4yau4RdcxHmcwXc4jqP4HIfxId7HO9iO1/AKXsILWIIFaEYEFShDEQqQiQT0',
  'afPaNTWhhpbtT9QwltPyzrzbnKW7TH5itAAlxkYZGMUAI0uNU2R6jiZ5ySJjd3NXIgIsMHYLv6dOgJnG/mrEgmkCRI1dykCFANON',
  'PckXnSxANWuBgYkClBt7gO8y7kFd5Wf4gy86UoACY19kIF+AXGPP8kWHCJBlbC0DgwVgaR7mu6QHn21dC2z+0+ie3sfSKmL+38O7',
  '2Io3sAar8SyWYy5aUYdq/ECn6BgdoS46RPtpL+2kbfQqrTPv2kVb6HV6OT4imNvyU+/hfswQoM3YFfxw0wXgX3zLz1ItQNjYqQyU',
  'C1Br7EG+RpkAVRQbfQgTevKk8QnzpHfJVCwdYOpW8UMUCcBMneM+jxCAiQkxMEyAHGO7+CFyBcg0NpuBrOAhwv3xDM7zDLL4H+SM',
  'ByZVsrhPkf7uU6+ajtiJH//Tnfi08B9NSv41SRLPf4YTXxf+GwYu/5okj8R/phObv0wx/htTnH9NkoD/LCeuFf6blH8PkgT3vu5L',
  'vFL4b1b+PUgS5j/biXcI//V1mgCpnyXMf44TdwX81yv/qZ8kzH+uE58N+A8p/6mfJMz/EPHzYvHvAf9h5T/1UwTC+5CefEgzXwj0',
  '27FP3/+Hij/M1X9E9e+H/odZOQAqj+lfZ0f80X+++MNd/UdV/37of7iVA6Blvde/DhIpof8C8Ue4+m9Q/fuh/xFWDoA2JVj/Okgk',
  'u/5Hil/o6l8XAD3Rf6GVA6BPnob+dZB4ivofJX6Rq39dAPZE/0VWDoBOJa3+dZDoG/2PFn+Mq3/dAOCJ/sdYOQC6OrD1r4PEI+t/',
  'rPjFjv5Duv/DE/0XWzkAykDq618HCVv/48Qf7+pf9/94ov/xVg6AqlT/Hg0SzH+J+BNc/ev+L0/0P8HKAVCH6t+jQYL5nyh+qat/',
  '3f/nif5LrRwAbVX9ezRIMP9SxiNWp8PSv+7/80T/ZVYOgA6p/j0aJJj/yU68R/Qf1fn/1G2xeiYB/1PEXx6bB1gbq/9yBF/iED7C',
  'XuzGNmzGOnTieTyDHGTgDt2mG3SNfqaLdI7O0Nd0nN6iTfzO+xsXPFls7Hm+WQNJwZPo40wuIyTXm2tsJRdhqRWg2diPueZKlQD1',
  'fCMGpgpQY+wGrrkySYBKYy/zq0oo4RWH3AJDBmD7BXenQADebp3HwFAB+AzmDu5fjgBclOE6dy2zp38J1CPSLP6nWnSV0NkY/xfw',
  'I77HN/gK3fgMn2If9uBtvInn0IE2zEIINSjFOOQjF3/Tn/QbXaVLdIHf3Z+NP6llxrbyR9csQLux3fxs0eCji/xrLEO9vHS2senM',
  'VI0AjcZuZGIqBeB6T1f46lME4HpP7QyUCsD1nk7wncb3MPWQrdMYI2/jGbd8vnWhALwFZyffergAfCbnBt8pTwA+qL2SgWwBuHLL',
  'ab5rRnDrXk7aAhb/5c74f0Dqf4SSZ/+HLtP16f//FU58IuB/gP39Vy4fl/9KJ74s/IdTcf1XCf8P/quc+G7Av7frf77xX+3EZfL9',
  'L6zrPx4kCfM/zYnbA/51/t+DJGH+a5x4Q8C/zv96kCTMf60THwz41/O/HiQJ8z/diU8G/Ov5Tw+ShPmvc+IrAf96/s+DJGH+68UP',
  'Oeu/YT3/5UEmQHiv78mH4oef/9Apk5T7/h8WP+LqX9d/PdF/xMoB0JwEnP9SXQ0k/UfFb3D0H9HzX57ov8HKAfAujqx+u722JNB/',
  'o/hNrv71/Jcn+m+ycgD0QVKd/1aF9r3+m8VvcfWv63+e6L/FygHQsYFX/0Fl/ET6nyF+q6t/Xf/1RP+tVg6ALqVo/RfV+oP0P1P8',
  'Wa7+df3fE/3PsnIAdIc8Pv/lpf5niz/H1b/u//BE/3OsHACV6PlPjwYJ5n+u+PNc/ev+H0/0P8/KAVCb6t+jQYL5bxN/vqt/3f/l',
  'if7nWzkAWq/692iQYP4XiL/Q1b/u//NE/wutHADtV/17NEgw/4uceLec/4w+3fU/nZrtt/G/3Ym7A/4HwPqP8pcI/hc78fmA/1SZ',
  '/1eS/4f/JU58K+Dfq/lfn/lf6sRFQf03nf/zIEmY/2VO3Brwr/M/HiQJ8891/4IagGl0E1z/7Sb0b2OKNS4Yt8LYTq4g12Lxv8LJ',
  'h85A/zr/48Egwfx3xHQfb+m0L6b/eM1HFU0/apP/Db/FlPBe/HiV1D47ggE+7/cPVj7VdACgAAA=',
].join('');

const BDB_BE_GZ_B64 = [
  'H4sIAAAAAAACA+1ca2iWZRi+r+/bwanTeZjzMKdrHnZwc6dvbp/zOA/zuMgOYCAM0YSS0iw1DANJLDFBMlHE6EcgVugPQ8rIRPBH',
  'IJIJIUgJWgj9EMQ/FljP/bz39+xBw9Qd3L7nfuDd7ufa3uN1Xc/7Pkcim2B/ZuW3m585RDGifpRKbXRfyppQTHSPaG7Zz/O+fMbB',
  'cdkg+eZV6/b8JHneSkhTb03weCMqQhbl4m/cwS1cx6+4hAs4i+9wAl/gUxzCR/gA72ILXsMreBkvYjHmown1KEUJCjDU7N35C9q4',
  'ZnVlbUNyS6cS39LoeNbZEazS7fHoHkcyUGSChAAj4oyYYInJFzDSKMBCs+1goF6A+UbibzJQLcAMY5bfGJgiQMIASxgoFWCqOegp',
  'BiYIUGGAEgbGCzDZbHsZKBTAXG18u7tUvgdz0D8ZGC7AUAO8xECeAAPMQc8xMFCAbANUMdBPALbmIQYy7LOtTuI+/mMd/NM5y/9F',
  '/Ijv8Q2+wlEcxgHsxk68g7fwPNrQgpmoRSWKUYg8DKB/6C/6na7RZbpo9rYp8j+fvpxsgWFPM46BUhOcFGBsxHUi+VAaR/Fu402w',
  'UlgrYKCQohOYX0sN3Mx/aBKg1WxHGUjYE9Q3JR84aI386yxzlAwGKgWYZh7HGwyUCVBtjn6VgYkCTDFAKwPFAthbesz7Yc7NqfMY',
  'yBdguDn1NgaGCDDQnOkmA7kCmKIZKxjIESDDbGcYyLSnrkk+sjng8R/31HCIsu0z66T/uidpcd0t5X+GlzsT8Z/olfyrSLqF/0wv',
  'dyPiv6Hv8q8ieVz+O77agJyI/2lpzr+KxOM/2+O/KuK/UfkPQyQgv8YPrIj4b1L+wxAJonYfx//WiP+aahVAECph/vt7/B8R/muU',
  '/yBEgqgJyfF/TvivVf6DEAmidiabcg3/fwj/dcp/EBKxzYtOA6AYZWvtOLD6/yCJB3v+r1f/B+P/wU4DoMnsf20dCcr/eRIP8fyf',
  'UP8H4/8hTgOgpY/sfy0k0sX/QyUe5vm/Qf0fjP+HOQ2ANnSt/7WQ6AP+Hy5xvud/7QAMx//5TgOgT56C/7WQeLr+HyFxged/7QAO',
  'x/8FTgOg073V/1pIdJv/R0o8yvO/DgAIx/+jnAZA1/q0/7WQeBL/j5Z4TIf/a3X8Rzj+H+M0AGSmv/+1kLjP/4USj/X8r+N/wvH/',
  'WKcBoFz9H1QhwfwXSTzO87+O/wrH/+OcBoA29X9QhYSdjixxsed/Hf8Xjv+LnQaATer/oAoJ5j+1kkeJ538d/xeO/0ucBoCD6v+g',
  'Cgm7Pok3/2OnzP/X9v/0Tak2vxT/EyVeRoW0xq7/cgyf4yA+xi7swGZsxFq04wU8i/7IpLt0h27SdfqFLtF5Oktf0wl6mzaYPR9M',
  'skzJIrNd4DM12GVKEk/SuMy718rx5pgjlzFQJUATUWw/A+UC1BgADEwSoNLc6nr7shOgzGxXbO23i1cciipT8US0wFAEmC32mR1q',
  'J8AgA+TasfcC5Jjr22on4wnAizLcsLPzo+tLdi3/MY//SRK30Whaafl/H+9hE17HaqzCc1iGOWhGNSroBzpNx+kYHaGDtId20Tba',
  'TK/SWrPXg6SbUgU7+fDTBWgxf1rOwFQBppvL+JaBCgHqDDCJgckCVJlj7LOvKAHsekK2zho9lR4ZpmT9IhdgvpPjK90qRFHHWey8',
  'HUUnQJ4Bau2wegH6m5s4YufZCZBlgBw78d7eRI9Xtfw1f+zT9t4Ge+X7r/eM/9A+uu7+/i/1cieF/z72/lciO8F/mZe7EvFfl479',
  'v8r2f/Nf7uXuCf/B9v8FyH+FV/8rEf61/ycMkdgVTD3+W4V/bf8PQySI6saO//XCv7b/hiESRLVsx/8+4V/n/4YhEtse4/F/SvjX',
  '+Z9hiMQuae7xf1X41/l/YYgEUWO5TbUd/b91Ov8rDCXYbhWnAdCYh/b/antJOtb/6ySu9/yv/b/h+L/eaQA0u/PjP9RUfcz/CYkb',
  'Ovxfr/O/wvF/g9MAaE0Pjf9S5/Ue/0+TuNHzv87/Csf/jU4DoA970/hPtWeP+L9J4qTnf+3/C8f/SacB0PE+N/5bPdxZ/0+XuNnz',
  'v/b/huP/ZqcB0OX0nP+hRn+I/2dIPNPzv/b/h+P/mU4DoLsBz/8K1f+zJJ7t+V/Hf4Tj/9lOA0CRzv8MqpBg/udIPNfzv47/Ccf/',
  'c50GgBb1f1CFBPPfIvE8z/86/isc/89zGgDWqf+DKiSY//kSL/D8r+P/wvH/AqcBYI/6P6hCgvlf6OV2yPovT7f/T9tle7L8b/Vy',
  'R4X/PtD/o+R1Ef+LvNwF4T9d2v+V4f/nf7GXuy38B9X+Gzj/SzpyKBD+tf0vDJEw/0s9/puFf23/CUMkzP8ySq0BGMMtu/7bLX0x',
  'plmSpeeWG8bbU2P+Uvwv9/zfLv7X9p8wCgnmv41Sa0BmYLf1/2EcMJGmHvUmf4bftvMxolVSu20Khp3z+S++DYHsAKAAAA==',
].join('');

const BDB_DUP_GZ_B64 = [
  'H4sIAAAAAAACA2NgYGBgZICARFE2Bk4QgwmIOSBiTAyoAKSWXUWRgeEfA8NBnQl31yohxBmR1DED8cXejDh08VEw+AB6HDEx/GRk',
  '4P3H+HM04oZxpKfllxYxJsHiHzmfszBcAcf/M8YnjFcYycv/DKP5f8AAEwtDWmZZKguwEC7OrGBmYExmYmbIz0tlBgqUlOczM7Ay',
  'lGQUpaayMjAmAgAQhWvhAAYAAA==',
].join('');

const NDB_RPM_GZ_B64 = [
  'H4sIAAAAAAACA+1aa4wkRR3vvT3YdSKi4e5AgTii4OEyM9XvqvNA5r2zu7Ozs7Mzu7MJQnV39Uzv9jxu3rMBwisRIyYEYiCRD5CQ',
  'ePDxRGPCBzEhxg+aGPGrhA9nFO9ETHzcBxCrZ2pvd0rueCgCof9JTfWv69HVvVW/rt9ve7VZWxFoBGiaYml/FNxGZ3SO/hQZ5sun',
  'aX6E/qwyfJDm1X34Epq/QdtvMnwpzYsU/+AC/fnYxz72sY997GMf+9jHPvaxj33s4/8tjrlGYVf3g0tGp44KwoGTNP8GTTP02Dv7',
  'WZosmmZZM1p9+o8096T8AYZfZfgyhv/E8GGGz9L8UzRdyfCfGb6e4ddo7lkHNzH8F9YeMPxXVq4w/A9WDhk+x/o7zvCbrHye4X8x',
  'vDzGBw8xXGT4SnZ/rfE9HbyKXe/hcX7w86z8SYa/MMZTMwwfHfc3dQPrb2N8fgqw/sqsPmTYYPWXWH2L4QLDhOENhm2Gb2PYZfj2',
  'Mb7iUXa9DsM/Z+UDhk+z69/N8O9Z/RcYfpWVvzjGU1Pj8gNXMXwJmw/XjOfD1GXj/g+wv9fU5xhmz3P6ddb+cTbeIww/wXCF4ScZ',
  'rjL8tIfjAnabVRzqNBquAMLo7pYpCqIQrQdH54Oj81HvMCxsH/j6Qq82npjZzJpQrLebxHRsh1iC69S7A2EAtds1ZV+XIdZlSAy3',
  'W2a41aztv97e4VHaMqQpN3oDDOxPtIXrGEfjjVqzRdptYqUclyzjGmnfKLAy70zCqZB2Z+/cCh66DTyq3J7HPbLSIrYzOF+85rgW',
  'ydRLpNV2GnXaTA6DsBISBSWshcEoH/+KYPcAhgFbk97cnD1/X8LeUSgnBUMVwWw6DaGy4zQFxB5IyCKGg+uh8UMa9dHt2CEoYFtG',
  'RDRFhG1Fh5jYOgayQRAkNkYWMjCWJGgbyEYykaEiWZqlG6KCRUVTsaKicV+SbAFFkgzFJphW13WRQF3SFdEwZB3oCBiyaQFVhgTb',
  'hqKJkiwTKAEDKoaqY8mb/2MSeustb+2OSIhOkaL9zJdPPdbLPHxSPPv8qScefVaXkaLZpmLKpmQiaBIR6RqEhmhhJGHZBkDFGCEo',
  '2EC1dBsoFkCipSJo6LpsSTZSZCCrCiBEhAaxRJXeCSYSIaYONCTroiQhDAzgLUBvrtHsTpqm2bFw/8uplzzupFya9Pj0UkYsa4HR',
  'gOm8nz27x6ezVbZ+Am/Pp9PmJJ9O1yf5dLo/yafT90zy6fTJST6daU7y6Uxnkk9n7pnk05kHGP4nw9+Z5NeZk5P8OfPcJH/OPO89',
  'mz0+nJ2a5MPZWVbO+HD20Bjv8snsYJJPZp+a5JPZ05N8Mes9t6laPrkcS7fjOdCIxaOJeLvZmo+sOzEzZtTkEx29ux1PFQq2TOfF',
  'QrKf7ZporhDJ9rutSGYtnRtGAlUIk5vL6zrYriuJZYTaZi3XjBi6O4CVbhlvLZS2GnJ6JZUFuZpJ+o6zsOH2l7OlsrVQVOZqegDQ',
  '2abholhYmSukctUNex3ovXzmxGZ3210oREtRqV7s7ywbw55WTPYKjeKJrJJLubnFmN1e0la6gSrqy+lyZNMobi/WVpbL8ai1neqU',
  'ksPVnbxcMXbqRdAz59qrm0WUWpjfztsL8xjLVXu5qJed5GArkLTXE/LmenF7tTe3sUmUteZiEpdINbqoFFTYU5xKmZCt1EAR49Fe',
  'twPj8+7OCZTekQorW92mmwqUzNWEvFwAuaWobe+IVrJgRrRa0bEyC0qkJPcywKpGY8lYNJoG8+lmz5DzFStd2rHiUYhrqBew6Pwn',
  '6VTHTA/cpRoabu5oC9Gikkz2k4vRRGU9k8/nh0rDNIoujLVypjJc75woRZe2nM1eplKMB3A/oxcqGSPaLy7F85X5aKVcile2M/F+',
  'JpmqZBLRfIbQtFGJRhfjq/G9xi2sxaPxUqAAlVJBMyNL3RQRk2WtubSVTcmpympJLW5ZViONDW3O1aMDud6mo0vC/lZ3vZZfMZOp',
  'Ybs+lwrUo1VQTxi9SLGaa6cIjPYGsUJNlwZQXgR1tTgwa31QX1irljSSA8NutLqc1py6nIjYDW0+PQyUF7pqbaeyVO7n8eqJzdzK',
  'cG012ytG1vPEMDfXiBRb30g1C4OaHFsU06Ze1LJwfZjr1vV1HWc3e4FIA+BhPS/lO2JyvpAqkSJsbeOkAwawnJ9fS4Fhs74xX8nJ',
  'kQiea8OhstWSu8ladaG63rW3sBWQUkOpLaHqmtyKtZylaI/sxPKkWY40B4lGtpEf4LVEstDoL5fWnEo1Y25oMAfR/I6xiKvusJUN',
  'uOtO1HGy0SXkJLSy2qmnM+mAUGlWQs2usU2GAiSSptmSJGgGkGRDwcJWo9EJdui7LnjcO7yVDHCt6ZJwo1W5JUhbuY4Z9FqGvIgl',
  '05nl4Ep6JbhSjC1l4sHFZDkYW8rFF0fFAfb+Oxakr8XQ+B0XCPgr3F/h/gr/IFf4zf3u4lZgtASTy4mLrE+2D3IbJnarjfauoGTk',
  'cDEqEFbGVLBIhm3haL1RJzd6vHL0Ym3GNXYpZ4wwXYoqoFvF82fZVtjbEOwm5RhfLXSer95v2b4t6SvePs6kW0tRliDCsqkoAEEL',
  'y3TTadG9JEKKIWoE6SpQIKVMRZFsU9QQMiAyEbGICTA0VK8DpOuahURVg0AGdFtKZGJB2kqDdN9JdNUyEHvmXvrhH55reHvL3f2m',
  'J8y8dOdYv3+Naqjf7tPv4n+p369g+AzTw9dwej7I6XmZ0/N3cnr+Hk7PP8Dp+Qc5Pf8Qw2+w8sc5fX+K0/c/4fT9Tzl9/zLDu/r+',
  'LNuP7ur7cwzv6vv05H72vP7e1fcWw7v6vsrwrr7vcfr+Lk7f38fp+29x+v7bnL5/ktP3T3P6/llO35/l9P3rnL5PcPp+ntP3G5y+',
  'v5fT9y9y+v4XnL7/Jafvfz3W91Xiuo2Qt9oFMSyFZbqCtzoim58HCnjYDo6qUKkfHNVKOS3KD1SrkmDDDnaqJGiRttlymh26VwgH',
  'CsRs1K1R+U3BvtOpBq870W1QTrkueEPw+KDm3hI0q7jVvrhfUO10mu1jkcg+AoqMhsGchHoDt8zqvsGHRoMPjQZ/3kvYd2/jm/+g',
  'fIML+gPMFpiVju0b39s5AeMb+k8n4KPrBbz5yp4X8NQzpx85d7x885lL7y+cuWPn8OWqTSzTJBhBCAiAKpSJbQLNMCSC6Q1YOlX5',
  'VObbgqWapuHtFmUTQkrtmqybElEJtAyADJGSuKiKQEGGZgNVlEWJmDbCgN4dtqAM9Qt4AV403jz8/TuZHyD44Ycffvjhhx9++OGH',
  'H5+Y8PyZ6bGBIJw7eP77iuaePzP1q/foz3yG82cOcX7MEc6PuYnzY45zfsytnB+T4PyYec6PWeL8lw3Of/km578Qzn+5l/NfHub8',
  'lycm/RfhDOe/cP9PnJrl/JdPc/7LIc5/uZrzX4Kc/3I95798lfNfjnP+y62c/5Li/JcHOf/loUn/ZeqVSf9l6vSk/zL1N85/uZbz',
  'X+7g/BeL81+qnP/ijv2XbdKqE3dsUqhhFAbe5xVBdtZ1tkmwic1tXCFCzrVIK9gb/1MmLLyL7y2YS7LvEqHRJfZ9brH/8h+yR8KG',
  '9l7ckY/DdxLXbj5mXC69/toXf/YV5czc1Z3vGZaiI9tWJAIR1kRDV1UgEWxAOi4TWXQUkiZqkAjQ9twOjBRD1wg06ZVEw9KwSjQD',
  'Aw3roqVCEdMh2ZKqKJZtqBpULQOYSMYIYeki3sjIoP7Nj494XLjrXx9kRPAB8eM7fX8W+ojx433/Z348zPHjNRw/fonjxxs4fjz6',
  'SeBH74OrCxLkMunvJ8j3yY/jb7ouQJAfLj+yz83ePUF+LPgxWzXw31994a7D2bd+d2r9u48gU9VlCYu6YWBVUpGkUapUkYFEIBlQ',
  'RYoljcYsaNhGCh0HUJBkaqqs2IpBOVLDlqYYsqgjZBEFEKjYJkCSbBJFkwkBGrCwJANNfAd+PPTSbT/a5Ud/B+2HH3744Ycffvjh',
  'hx9++OGHH5+8+Dea006TsEsAAA==',
].join('');

const HELLO_BLOB = (): Uint8Array => new Uint8Array(Buffer.from(HELLO_BLOB_B64, 'base64'));
const BDB_LE = (): Uint8Array => gz(BDB_LE_GZ_B64);
const BDB_BE = (): Uint8Array => gz(BDB_BE_GZ_B64);
const BDB_DUP = (): Uint8Array => gz(BDB_DUP_GZ_B64);
const NDB_RPM = (): Uint8Array => gz(NDB_RPM_GZ_B64);
const recValue = (i: number): string => `rec-${i}:${'x'.repeat((i * 37) % 900)}`;

// ---------------------------------------------------------------------------------------------
// the header blob

describe('rpm header blob', () => {
  it('reads every field of a hand-built header', () => {
    const blob = pkgHeader({
      name: 'foo',
      epoch: 3,
      version: '1.2',
      release: '5.el9',
      arch: 'aarch64',
      url: 'https://foo.example/',
      summary: 'Foo',
      description: 'Line 1\nLine 2\n\nLine 4',
    });
    expect(readRpmPackage(blob)).toEqual({
      name: 'foo',
      epoch: 3,
      version: '1.2',
      release: '5.el9',
      arch: 'aarch64',
      url: 'https://foo.example/',
      summary: 'Foo',
      description: 'Line 1\nLine 2\n\nLine 4',
    });
  });

  it('reads the real blob rpm 4.18 wrote for hello-joot', () => {
    expect(readRpmPackage(HELLO_BLOB())).toEqual({
      name: 'hello-joot',
      epoch: 2,
      version: '1.2.3',
      release: '4.jt1',
      arch: 'noarch',
      url: 'https://example.org/hello',
      summary: 'Says hello to joot',
      description: 'First line of the description.\nSecond line, with "quotes" & <xml> chars.',
      license: 'MIT',
    });
  });

  it('defaults: no EPOCH is 0, no URL/ARCH is absent, empty strings are absent', () => {
    const blob = buildHeader([
      { tag: 1000, type: S, value: 'bare' },
      { tag: 1001, type: S, value: '0' },
      { tag: 1002, type: S, value: '' },
      { tag: 1020, type: S, value: '' },
    ]);
    expect(readRpmPackage(blob)).toEqual({ name: 'bare', epoch: 0, version: '0', release: '' });
  });

  it('takes the first entry of I18NSTRING and STRING_ARRAY values, decodes UTF-8', () => {
    const blob = pkgHeader({ name: 'i18n', extra: [] });
    const h = buildHeader([
      { tag: 1000, type: RPM_TYPE.STRING_ARRAY, value: ['first', 'second'] },
      { tag: 1001, type: S, value: '1' },
      { tag: 1002, type: S, value: '1' },
      { tag: 1004, type: I18N, value: ['C summary — “ünïcode”', 'résumé français'] },
    ]);
    expect(readRpmPackage(blob).name).toBe('i18n');
    const p = readRpmPackage(h);
    expect(p.name).toBe('first');
    expect(p.summary).toBe('C summary — “ünïcode”');
  });

  it('a later entry of the same tag replaces an earlier one (rpm dribbles)', () => {
    const blob = buildHeader([
      { tag: 1000, type: S, value: 'pkg' },
      { tag: 1001, type: S, value: '1' },
      { tag: 1002, type: S, value: '1' },
      { tag: 1001, type: S, value: '2' },
    ]);
    expect(readRpmPackage(blob).version).toBe('2');
  });

  it('epochs are unsigned 32-bit', () => {
    expect(readRpmPackage(pkgHeader({ name: 'e', epoch: 0xfffffffe })).epoch).toBe(0xfffffffe);
  });

  it('refuses headers without NAME, VERSION or RELEASE', () => {
    expectJootError(() => readRpmPackage(buildHeader([{ tag: 1001, type: S, value: '1' }])), 'EFORMAT', /no NAME/);
    expectJootError(
      () =>
        readRpmPackage(
          buildHeader([
            { tag: 1000, type: S, value: 'x' },
            { tag: 1002, type: S, value: '1' },
          ]),
        ),
      'EFORMAT',
      /x: no VERSION/,
    );
    expectJootError(
      () =>
        readRpmPackage(
          buildHeader([
            { tag: 1000, type: S, value: 'x' },
            { tag: 1001, type: S, value: '1' },
          ]),
        ),
      'EFORMAT',
      /x: no RELEASE/,
    );
  });

  it('refuses wrong types for the tags it reads', () => {
    const blob = buildHeader([
      { tag: 1000, type: S, value: 'x' },
      { tag: 1001, type: S, value: '1' },
      { tag: 1002, type: S, value: '1' },
      { tag: 1003, type: S, value: '7' },
    ]);
    expectJootError(() => readRpmPackage(blob), 'EFORMAT', /tag 1003: type 6 where an INT32/);
    const blob2 = buildHeader([{ tag: 1000, type: INT32, value: [1] }]);
    expectJootError(() => readRpmPackage(blob2), 'EFORMAT', /tag 1000: type 4 where a string/);
  });

  const w32 = (b: Uint8Array, off: number, v: number): Uint8Array => {
    const c = b.slice();
    new DataView(c.buffer).setUint32(off, v >>> 0);
    return c;
  };

  it('checks the intro, every index entry and every string against the blob', () => {
    const good = pkgHeader({ name: 'chk', epoch: 1 });
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(0), /0 bytes, shorter than its 8-byte intro/],
      [new Uint8Array(7), /shorter than its 8-byte intro/],
      [new Uint8Array(8), /no index entries/],
      [w32(good, 0, 0x10000), /65536 index entries/],
      [w32(good, 0, 0xffffffff), /index entries/],
      [w32(good, 4, 0x10000000), /bytes of data \(at most/],
      [w32(good, 4, 0x0fffffff), /needs \d+ bytes/],
      [w32(good, 0, 9), /needs \d+ bytes/],
      [w32(good, 8 + 4, 10), /unknown type 10/], // first entry's type
      [w32(good, 8 + 8, 0x80000000), /data offset -2147483648 outside/],
      [w32(good, 8 + 8, good.length), /outside the \d+-byte data area/],
      [w32(good, 8 + 3 * 16 + 12, 0x40000000), /overrun the \d+-byte data area/], // EPOCH count
      [w32(good, 8 + 12, 0), /count 0/],
    ];
    for (const [blob, re] of cases) expectJootError(() => readRpmPackage(blob), 'EFORMAT', re);
    // a string whose NUL was cut off: the last string ends the data area
    const noNul = buildHeader([
      { tag: 1001, type: S, value: '1' },
      { tag: 1002, type: S, value: '1' },
      { tag: 1000, type: RPM_TYPE.BIN, value: Buffer.from('unterminated') },
    ]);
    const asString = w32(noNul, 8 + 2 * 16 + 4, S);
    expectJootError(() => readRpmPackage(asString), 'EFORMAT', /tag 1000: string not terminated/);
  });

  it('every truncation of a real blob is a clean error; a prefix with the true length asks for more or agrees', () => {
    const blob = HELLO_BLOB();
    const full = readRpmPackage(blob);
    for (let n = 0; n < blob.length; n++) {
      const prefix = blob.subarray(0, n);
      expectJootError(() => readRpmPackage(prefix), 'EFORMAT');
      let r: unknown;
      try {
        r = readRpmPackage(prefix, blob.length);
      } catch (e) {
        expect(e).toBeInstanceOf(NeedMoreBytes);
        continue;
      }
      expect(r).toEqual(full);
    }
    expect(() => new RpmHeader(blob, blob.length - 1)).toThrow(RangeError);
  });

  it('random garbage and random mutations give results or JootErrors, quickly', () => {
    const rnd = prng(1);
    const t0 = performance.now();
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rnd() * 300);
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(rnd() * 256);
      // make the intro plausible half the time, so the index checks are reached
      if (len >= 8 && i % 2 === 0) {
        const il = Math.floor(rnd() * 20);
        new DataView(b.buffer).setUint32(0, il);
        new DataView(b.buffer).setUint32(4, Math.max(0, len - 8 - 16 * il));
      }
      if (returnsOrJootError(() => readRpmPackage(b)) === 'error') errors++;
    }
    const real = HELLO_BLOB();
    let ok = 0;
    for (let i = 0; i < 5000; i++) {
      const b = real.slice();
      const flips = 1 + Math.floor(rnd() * 4);
      for (let f = 0; f < flips; f++) {
        // mostly in the intro and the index, where the offsets are
        const at = rnd() < 0.8 ? Math.floor(rnd() * (8 + 16 * 42)) : Math.floor(rnd() * b.length);
        b[at] = Math.floor(rnd() * 256);
      }
      if (returnsOrJootError(() => readRpmPackage(b)) === 'ok') ok++;
    }
    expect(errors).toBeGreaterThan(2000);
    expect(ok).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('a header claiming 65535 entries and 256 MiB of data is refused before any big work', () => {
    const b = new Uint8Array(64);
    new DataView(b.buffer).setUint32(0, 0xffff);
    new DataView(b.buffer).setUint32(4, 0x0fffffff);
    const t0 = performance.now();
    expectJootError(() => readRpmPackage(b), 'EFORMAT', /needs/);
    expect(performance.now() - t0).toBeLessThan(50);
  });
});

// ---------------------------------------------------------------------------------------------
// rpmvercmp and the order of the list

describe('rpmvercmp', () => {
  // expected values as rpm 4.18's rpm.vercmp gives them (checked by the integration test)
  const cases: [string, string, number][] = [
    ['1.0', '1.0', 0],
    ['1.0', '2.0', -1],
    ['2.0', '1.0', 1],
    ['2.0.1', '2.0', 1],
    ['5.10.0', '5.9.0', 1],
    ['1.0010', '1.9', 1],
    ['1.05', '1.5', 0],
    ['1.0', '1', 1],
    ['1.0a', '1.0', 1],
    ['1.0a', '1.0b', -1],
    ['a', '1', -1],
    ['1', 'a', 1],
    ['1.0~rc1', '1.0', -1],
    ['1.0~rc1', '1.0~rc2', -1],
    ['1.0~~', '1.0~', -1],
    ['1.0^', '1.0', 1],
    ['1.0^git1', '1.0.1', -1],
    ['1.0^git1', '1.0^git2', -1],
    ['1_0', '1.0', 0],
    ['+1', '1', 0],
    ['2.0', '2_0', 0],
    ['', '', 0],
    ['fc4', 'fc.4', 0],
    ['FC5', 'fc4', -1],
    ['2a', '2.0', -1],
    ['1.0.0', '1..0', 1],
  ];
  it.each(cases)('rpmvercmp(%j, %j) = %i', (a, b, r) => {
    expect(rpmvercmp(a, b)).toBe(r);
    expect(rpmvercmp(b, a)).toBe(-r || 0);
  });

  it('orders packages by name, epoch, version, release, arch', () => {
    const p = (name: string, epoch: number, version: string, release: string, arch?: string) => ({
      name,
      epoch,
      version,
      release,
      ...(arch ? { arch } : {}),
    });
    const list = [
      p('b', 0, '1', '1'),
      p('a', 1, '1', '1'),
      p('a', 0, '1.10', '1'),
      p('a', 0, '1.9', '2', 'x86_64'),
      p('a', 0, '1.9', '2', 'i686'),
      p('a', 0, '1.9', '10'),
      p('B', 0, '1', '1'),
    ];
    list.sort(comparePackages);
    expect(list.map((x) => `${x.name}-${x.epoch}:${x.version}-${x.release}.${x.arch ?? ''}`)).toEqual([
      'B-0:1-1.',
      'a-0:1.9-2.i686',
      'a-0:1.9-2.x86_64',
      'a-0:1.9-10.',
      'a-0:1.10-1.',
      'a-1:1-1.',
      'b-0:1-1.',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Berkeley DB hash

/** Page helpers for editing the embedded BDB files. */
function bdbPages(buf: Uint8Array, le = true) {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const ps = v.getUint32(20, le);
  return {
    ps,
    view: v,
    count: buf.length / ps,
    type: (p: number) => buf[p * ps + 25]!,
    next: (p: number) => v.getUint32(p * ps + 16, le),
    setNext: (p: number, n: number) => v.setUint32(p * ps + 16, n, le),
    entries: (p: number) => v.getUint16(p * ps + 20, le),
    inp: (p: number, i: number) => v.getUint16(p * ps + 26 + 2 * i, le),
    /** [page, byte offset in the file] of every H_OFFPAGE item */
    offpageItems(): [number, number][] {
      const out: [number, number][] = [];
      for (let p = 1; p < buf.length / ps; p++) {
        if (this.type(p) !== 13 && this.type(p) !== 2) continue;
        for (let i = 0; i < this.entries(p); i++) {
          const off = p * ps + this.inp(p, i);
          if (buf[off] === 3) out.push([p, off]);
        }
      }
      return out;
    },
  };
}

describe('Berkeley DB hash reader', () => {
  it('reads a little-endian file written by db5.3_load: inline items and overflow chains', () => {
    const recs = readBdbHash(BDB_LE());
    expect(recs).toHaveLength(60);
    const got = new Map(recs.map((r) => [Buffer.from(r.key).readUInt32LE(0), Buffer.from(r.data).toString()]));
    for (let i = 0; i < 60; i++) expect(got.get(i)).toBe(recValue(i));
    expect(bdbPages(BDB_LE()).offpageItems().length).toBeGreaterThan(10);
  });

  it('reads the same data from the big-endian file', () => {
    const recs = readBdbHash(BDB_BE());
    expect(recs).toHaveLength(60);
    const got = new Map(recs.map((r) => [Buffer.from(r.key).readUInt32BE(0), Buffer.from(r.data).toString()]));
    for (let i = 0; i < 60; i++) expect(got.get(i)).toBe(recValue(i));
  });

  it('reads sets of duplicates', () => {
    const recs = readBdbHash(BDB_DUP()).map((r) => `${Buffer.from(r.key)}=${Buffer.from(r.data)}`);
    expect(recs.sort()).toEqual(['a=one', 'a=three', 'a=two', 'b=four', 'c=five', 'c=six']);
  });

  it('refuses what is not a hash database', () => {
    expectJootError(() => readBdbHash(new Uint8Array(100)), 'EFORMAT', /smaller than one page/);
    expectJootError(() => readBdbHash(new Uint8Array(4096)), 'EFORMAT', /no hash magic/);
    const btree = BDB_LE();
    new DataView(btree.buffer).setUint32(12, 0x053162, true);
    expectJootError(() => readBdbHash(btree), 'EFORMAT', /btree/);
    const enc = BDB_LE();
    enc[24] = 1;
    expectJootError(() => readBdbHash(enc), 'EFORMAT', /encrypted/);
    const sum = BDB_LE();
    sum[26] = 1;
    expectJootError(() => readBdbHash(sum), 'EFORMAT', /checksums/);
    const ps = BDB_LE();
    new DataView(ps.buffer).setUint32(20, 1000, true);
    expectJootError(() => readBdbHash(ps), 'EFORMAT', /bad page size 1000/);
  });

  it('refuses truncated files and impossible bucket counts', () => {
    const f = BDB_LE();
    expectJootError(() => readBdbHash(f.subarray(0, f.length - 512)), 'EFORMAT', /truncated/);
    const last = BDB_LE();
    new DataView(last.buffer).setUint32(32, 0xffffffff, true);
    expectJootError(() => readBdbHash(last), 'EFORMAT', /truncated/);
    const buckets = BDB_LE();
    new DataView(buckets.buffer).setUint32(72, 0x7fffffff, true);
    expectJootError(() => readBdbHash(buckets), 'EFORMAT', /buckets in a file of/);
    const spare = BDB_LE();
    new DataView(spare.buffer).setUint32(96, 0xffffffff, true); // bucket 0 → page 0xffffffff
    expectJootError(() => readBdbHash(spare), 'EFORMAT', /outside pages/);
    const zero = BDB_LE();
    new DataView(zero.buffer).setUint32(96, 0, true); // bucket 0 → the metadata page
    expectJootError(() => readBdbHash(zero), 'EFORMAT', /page 0 outside/);
  });

  it('detects loops and shared pages in bucket chains', () => {
    const self = BDB_LE();
    bdbPages(self).setNext(1, 1);
    expectJootError(() => readBdbHash(self), 'EFORMAT', /page 1 used twice/);
    const cross = BDB_LE();
    bdbPages(cross).setNext(1, 2); // bucket 0's chain runs into bucket 1's page
    expectJootError(() => readBdbHash(cross), 'EFORMAT', /used twice/);
    const out = BDB_LE();
    bdbPages(out).setNext(1, 100000);
    expectJootError(() => readBdbHash(out), 'EFORMAT', /page 100000 outside/);
  });

  it('detects loops, shared pages and bad lengths in overflow chains', () => {
    const f = BDB_LE();
    const pg = bdbPages(f);
    const items = pg.offpageItems();
    const [, first] = items[0]!;
    const firstPg = pg.view.getUint32(first + 4, true);
    // loop: the first overflow page points at itself
    const loop = BDB_LE();
    bdbPages(loop).setNext(firstPg, firstPg);
    expectJootError(() => readBdbHash(loop), 'EFORMAT', /overflow chain/);
    // two items share one chain
    const shared = BDB_LE();
    const [, second] = items[1]!;
    new DataView(shared.buffer).setUint32(second + 4, firstPg, true);
    expectJootError(() => readBdbHash(shared), 'EFORMAT', /used twice/);
    // a 4 GiB item: refused before allocating
    const huge = BDB_LE();
    new DataView(huge.buffer).setUint32(first + 8, 0xffffffff, true);
    const t0 = performance.now();
    expectJootError(() => readBdbHash(huge), 'EFORMAT', /bigger than the file/);
    expect(performance.now() - t0).toBeLessThan(100);
    // a length that disagrees with the chain
    const short = BDB_LE();
    new DataView(short.buffer).setUint32(first + 8, 3, true);
    expectJootError(() => readBdbHash(short), 'EFORMAT', /longer than its 3 bytes/);
    // a chain into a page that is not an overflow page
    const wrong = BDB_LE();
    new DataView(wrong.buffer).setUint32(first + 4, 1, true);
    expectJootError(() => readBdbHash(wrong), 'EFORMAT', /page 1 (used twice|has type)/);
  });

  it('checks item offsets, counts and types on hash pages', () => {
    const ps = 512;
    const odd = BDB_LE();
    new DataView(odd.buffer).setUint16(ps + 20, 3, true);
    expectJootError(() => readBdbHash(odd), 'EFORMAT', /odd number of items/);
    const many = BDB_LE();
    new DataView(many.buffer).setUint16(ps + 20, 0xfffe, true);
    expectJootError(() => readBdbHash(many), 'EFORMAT', /do not fit the page/);
    const off = BDB_LE();
    new DataView(off.buffer).setUint16(ps + 26, 0xffff, true);
    expectJootError(() => readBdbHash(off), 'EFORMAT', /bad offset 65535/);
    const type = BDB_LE();
    const pg = bdbPages(type);
    type[ps + pg.inp(1, 0)] = 9;
    expectJootError(() => readBdbHash(type), 'EFORMAT', /unknown item type 9/);
    const offdup = BDB_LE();
    offdup[ps + pg.inp(1, 1)] = 4;
    expectJootError(() => readBdbHash(offdup), 'EFORMAT', /off-page duplicates/);
    const ptype = BDB_LE();
    ptype[ps + 25] = 5;
    expectJootError(() => readBdbHash(ptype), 'EFORMAT', /page 1 has type 5/);
  });

  it('random corruption of a real file: results or JootErrors, quickly', () => {
    const rnd = prng(7);
    const base = BDB_LE();
    const t0 = performance.now();
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const b = base.slice();
      const n = 1 + Math.floor(rnd() * 6);
      for (let k = 0; k < n; k++) {
        const page = Math.floor(rnd() * (b.length / 512));
        // hit the page header and the item offsets more often than the data
        const at = page * 512 + (rnd() < 0.7 ? Math.floor(rnd() * 64) : Math.floor(rnd() * 512));
        b[at] = Math.floor(rnd() * 256);
      }
      if (returnsOrJootError(() => readBdbHash(b)) === 'error') errors++;
    }
    expect(errors).toBeGreaterThan(100);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

// ---------------------------------------------------------------------------------------------
// ndb

describe('ndb reader', () => {
  const blobs = [pkgHeader({ name: 'one' }), pkgHeader({ name: 'two', description: 'x'.repeat(5000) }), HELLO_BLOB()];

  it("reads a Packages.db written by rpm's own ndb code, with a deleted package", async () => {
    const got = readNdbBlobs(NDB_RPM());
    expect(got.map((r) => r.pkgidx).sort()).toEqual([1, 3, 4, 5, 6]);
    const r = await rpmApplications(memGuest({ '/usr/lib/sysimage/rpm/Packages.db': NDB_RPM() }));
    if (!r || 'error' in r) throw new Error(JSON.stringify(r));
    expect(r.warnings).toEqual([]);
    expect(r.applications.map((a) => `${a.name}-${a.epoch}:${a.version}-${a.release}.${a.arch}`)).toEqual([
      'alpha-tool-0:0.9~rc1-1.x86_64',
      'gpg-pubkey-0:8e266f22-6b023b4a.undefined', // the imported key: no arch, as with rpm -qa
      'hello-joot-2:1.2.3-4.jt1.noarch',
      'kernel-joot-0:5.9.0-1.noarch',
      'kernel-joot-0:5.10.0-1.noarch',
    ]);
    expect(r.applications[1]!.summary).toBe('joot test <joot@example.org> public key'); // rpm 4.18's wording
  });

  it('reads the blobs of a Packages.db', () => {
    const got = readNdbBlobs(ndbFile(blobs));
    expect(got.map((r) => r.pkgidx)).toEqual([1, 2, 3]);
    expect(got.map((r) => readRpmPackage(r.blob).name)).toEqual(['one', 'two', 'hello-joot']);
  });

  it('refuses bad magics, versions, sizes, slots and blobs', () => {
    const f = (): Uint8Array => ndbFile(blobs);
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    expectJootError(() => readNdbBlobs(new Uint8Array(10)), 'EFORMAT', /RpmP/);
    const ver = f();
    dv(ver).setUint32(4, 1, true);
    expectJootError(() => readNdbBlobs(ver), 'EFORMAT', /version 1/);
    expectJootError(() => readNdbBlobs(f().subarray(0, f().length - 1)), 'EFORMAT', /multiple of 16/);
    const pages = f();
    dv(pages).setUint32(12, 0x100000, true);
    expectJootError(() => readNdbBlobs(pages), 'EFORMAT', /slot pages/);
    const slot = f();
    slot[48] = 0;
    expectJootError(() => readNdbBlobs(slot), 'EFORMAT', /no "Slot" magic/);
    const beyond = f();
    dv(beyond).setUint32(32 + 12, 0xfffffff0, true);
    expectJootError(() => readNdbBlobs(beyond), 'EFORMAT', /beyond the end/);
    const inSlots = f();
    dv(inSlots).setUint32(32 + 8, 1, true);
    expectJootError(() => readNdbBlobs(inSlots), 'EFORMAT', /package 1 at block 1/);
    const other = f();
    dv(other).setUint32(32 + 4, 9, true);
    expectJootError(() => readNdbBlobs(other), 'EFORMAT', /blob says package 1/);
    const len = f();
    dv(len).setUint32(4096 + 12, 99999, true);
    expectJootError(() => readNdbBlobs(len), 'EFORMAT', /blob of 99999 bytes/);
    const tail = f();
    const end = 4096 + Math.ceil((16 + blobs[0]!.length + 12) / 16) * 16;
    tail[end - 1] = 0;
    expectJootError(() => readNdbBlobs(tail), 'EFORMAT', /bad blob tail/);
  });
});

// ---------------------------------------------------------------------------------------------
// sqlite and the write-ahead log

describe('sqlite reader', () => {
  const whole = (blob: Uint8Array, length: number) => readRpmPackage(blob, length);

  it('reads the blobs of an rpm-shaped database, fetching a whole blob only when needed', async () => {
    const long = 'y'.repeat(20000);
    const db = sqliteDb([pkgHeader({ name: 'a' }), pkgHeader({ name: 'b', description: long, url: 'https://b/' }), HELLO_BLOB()]);
    const calls: number[] = [];
    const got = await readSqlitePackages(db, undefined, RPMDB_MAX, (blob, length, hnum) => {
      calls.push(hnum);
      return whole(blob, length);
    });
    expect(got.map((p) => p.name)).toEqual(['a', 'b', 'hello-joot']);
    expect(got[1]!.description).toBe(long);
    expect(got[1]!.url).toBe('https://b/');
    expect(calls).toEqual([1, 2, 2, 3]); // b's fields lie beyond the first 4 KiB
  });

  it('gives a non-BLOB value as an empty blob', async () => {
    const db = sqliteDb(['just text']);
    const got = await readSqlitePackages(db, undefined, RPMDB_MAX, (blob, length) => [blob.length, length]);
    expect(got).toEqual([[0, 0]]);
  });

  it('refuses what is not an rpm sqlite database', async () => {
    const none = (async () => 0) as never;
    await expect(readSqlitePackages(new Uint8Array(4096), undefined, RPMDB_MAX, none)).rejects.toThrow(/not an SQLite database/);
    const noTable = sqliteDb([HELLO_BLOB()], { table: 'Other' });
    await expect(readSqlitePackages(noTable, undefined, RPMDB_MAX, none)).rejects.toThrow(/sqlite: no such table: Packages/);
    const torn = sqliteDb(Array.from({ length: 50 }, (_, i) => pkgHeader({ name: `p${i}`, description: 'z'.repeat(3000) })));
    const cut = torn.slice(0, 8192);
    await expect(readSqlitePackages(cut, undefined, RPMDB_MAX, whole)).rejects.toMatchObject({ code: 'EFORMAT' });
  });

  it('applyWal: an empty, torn or foreign log changes nothing; a bad one is an error', () => {
    const db = sqliteDb([HELLO_BLOB()]);
    expect(applyWal(db, new Uint8Array(0), RPMDB_MAX)).toBe(db);
    expect(applyWal(db, new Uint8Array(31), RPMDB_MAX)).toBe(db);
    const hdr = new Uint8Array(32);
    new DataView(hdr.buffer).setUint32(0, 0x377f0682);
    new DataView(hdr.buffer).setUint32(8, 4096);
    expect(applyWal(db, hdr, RPMDB_MAX)).toBe(db); // header checksum does not match: never completed
    expectJootError(() => applyWal(db, new Uint8Array(64).fill(7), RPMDB_MAX), 'EFORMAT', /no WAL magic/);
    const ps = hdr.slice();
    new DataView(ps.buffer).setUint32(8, 1000);
    expectJootError(() => applyWal(db, ps, RPMDB_MAX), 'EFORMAT', /bad page size 1000/);
  });
});

// ---------------------------------------------------------------------------------------------
// the entry point

describe('rpmApplications', () => {
  const SQLITE = '/var/lib/rpm/rpmdb.sqlite';

  it('undefined when there is no rpm database', async () => {
    expect(await rpmApplications(memGuest({ '/var/lib/dpkg/status': '' }))).toBeUndefined();
  });

  it('lists and sorts, gpg-pubkey with its summary as rpm -qa does; caps every read', async () => {
    const gpg = pkgHeader({ name: 'gpg-pubkey', version: 'abcd1234', release: '5f000000', summary: 'gpg(Some Key)' });
    const db = sqliteDb([
      pkgHeader({ name: 'zlib', version: '1.2.13' }),
      gpg,
      pkgHeader({ name: 'kernel', version: '6.10.0', release: '1' }),
      pkgHeader({ name: 'kernel', version: '6.9.0', release: '1' }),
      HELLO_BLOB(),
    ]);
    const g = memGuest({ [SQLITE]: db });
    const r = await rpmApplications(g);
    expect(r).toBeDefined();
    if (!r || 'error' in r) throw new Error(JSON.stringify(r));
    expect(r.warnings).toEqual([]);
    expect(r.applications.map((a) => `${a.name}-${a.version}`)).toEqual([
      'gpg-pubkey-abcd1234',
      'hello-joot-1.2.3',
      'kernel-6.9.0',
      'kernel-6.10.0',
      'zlib-1.2.13',
    ]);
    expect(r.applications[0]).toMatchObject({
      name: 'gpg-pubkey',
      epoch: 0,
      version: 'abcd1234',
      release: '5f000000',
      summary: 'gpg(Some Key)',
    });
    expect(r.applications[1]).toEqual({
      name: 'hello-joot',
      epoch: 2,
      version: '1.2.3',
      release: '4.jt1',
      arch: 'noarch',
      url: 'https://example.org/hello',
      summary: 'Says hello to joot',
      license: 'MIT',
      description: 'First line of the description.\nSecond line, with "quotes" & <xml> chars.',
    });
    expect(g.reads).toEqual([{ path: SQLITE, maxBytes: RPMDB_MAX }]);
  });

  it('looks in the documented order', async () => {
    const one = (name: string) => sqliteDb([pkgHeader({ name })]);
    const names = async (files: Record<string, Uint8Array>) => {
      const r = await rpmApplications(memGuest(files));
      if (!r || 'error' in r) throw new Error(JSON.stringify(r));
      return r.applications.map((a) => a.name);
    };
    expect(await names({ '/usr/lib/sysimage/rpm/rpmdb.sqlite': one('usr'), '/var/lib/rpm/Packages': BDB_LE() })).toEqual(['usr']);
    expect(await names({ [SQLITE]: one('var'), '/usr/lib/sysimage/rpm/rpmdb.sqlite': one('usr') })).toEqual(['var']);
    expect(await names({ '/usr/lib/sysimage/rpm/Packages.db': ndbFile([pkgHeader({ name: 'ndb' })]) })).toEqual(['ndb']);
    expect(
      await names({ '/var/lib/rpm/Packages.db': ndbFile([pkgHeader({ name: 'ndb1' })]), '/usr/lib/sysimage/rpm/Packages.db': ndbFile([]) }),
    ).toEqual(['ndb1']);
  });

  it('a Berkeley DB Packages: key 0 (the counter) is skipped, other records are headers', async () => {
    // the embedded BDB holds "rec-N" values: all unreadable as headers → an error, not []
    const r = await rpmApplications(memGuest({ '/var/lib/rpm/Packages': BDB_LE() }));
    expect(r).toHaveProperty('error');
    expect((r as { error: string }).error).toMatch(/^\/var\/lib\/rpm\/Packages: none of its 59 package records is readable/);
  });

  it('a database that exists but cannot be read is an error naming it', async () => {
    const cases: [Record<string, Uint8Array | string>, RegExp][] = [
      [
        { [SQLITE]: 'not a database at all, just some text that is long enough to be looked at. '.repeat(3) },
        /^\/var\/lib\/rpm\/rpmdb\.sqlite: not an SQLite database$/,
      ],
      [{ [SQLITE]: sqliteDb([], { table: 'Other' }) }, /^\/var\/lib\/rpm\/rpmdb\.sqlite: sqlite: no such table: Packages$/],
      [{ '/var/lib/rpm/Packages': new Uint8Array(8192) }, /^\/var\/lib\/rpm\/Packages: bad Berkeley DB hash file: no hash magic/],
      [{ '/usr/lib/sysimage/rpm/Packages.db': 'RpmX' }, /^\/usr\/lib\/sysimage\/rpm\/Packages\.db: bad ndb database/],
      [{ [SQLITE]: sqliteDb([new Uint8Array([0, 0, 0, 1])]) }, /^\/var\/lib\/rpm\/rpmdb\.sqlite: package 1: bad rpm header: 4 bytes/],
    ];
    for (const [files, re] of cases) {
      const r = await rpmApplications(memGuest(files));
      expect(r, String(re)).toHaveProperty('error');
      expect((r as { error: string }).error).toMatch(re);
    }
  });

  it('a database over the cap is an error, not an empty list', async () => {
    const g = memGuest({ [SQLITE]: sqliteDb([HELLO_BLOB()]) });
    const readFile = g.readFile.bind(g);
    g.readFile = async (p, opts) => {
      if (p === SQLITE) throw new JootError('EINVAL', `${p}: file is larger than ${opts?.maxBytes} bytes`);
      return readFile(p, opts);
    };
    expect(await rpmApplications(g)).toEqual({ error: `${SQLITE}: file is larger than ${RPMDB_MAX} bytes` });
  });

  it('bad records among good ones are skipped with a warning (at most 20, then a count)', async () => {
    const junk = Array.from({ length: 25 }, () => new Uint8Array([1, 2, 3]));
    const r = await rpmApplications(memGuest({ [SQLITE]: sqliteDb([pkgHeader({ name: 'good' }), ...junk, 'text']) }));
    if (!r || 'error' in r) throw new Error(JSON.stringify(r));
    expect(r.applications.map((a) => a.name)).toEqual(['good']);
    expect(r.warnings).toHaveLength(21);
    expect(r.warnings[0]).toBe('/var/lib/rpm/rpmdb.sqlite: package 2: bad rpm header: 3 bytes, shorter than its 8-byte intro');
    expect(r.warnings[20]).toBe('/var/lib/rpm/rpmdb.sqlite: 6 more unreadable package records');
  });

  it('only gpg-pubkeys lists them; no rows is an empty list, which is the truth', async () => {
    const gpg = pkgHeader({ name: 'gpg-pubkey', version: 'abcd1234', release: '5f000000' });
    const r = await rpmApplications(memGuest({ [SQLITE]: sqliteDb([gpg]) }));
    if (!r || 'error' in r) throw new Error(JSON.stringify(r));
    expect(r.applications.map((a) => a.name)).toEqual(['gpg-pubkey']);
    expect(await rpmApplications(memGuest({ [SQLITE]: sqliteDb([]) }))).toEqual({ applications: [], warnings: [] });
  });

  it('an unusable write-ahead log is ignored with a warning, as SQLite ignores it', async () => {
    const r = await rpmApplications(memGuest({ [SQLITE]: sqliteDb([HELLO_BLOB()]), [`${SQLITE}-wal`]: new Uint8Array(100).fill(9) }));
    if (!r || 'error' in r) throw new Error(JSON.stringify(r));
    expect(r.applications.map((a) => a.name)).toEqual(['hello-joot']);
    expect(r.warnings).toEqual(['/var/lib/rpm/rpmdb.sqlite-wal: bad write-ahead log: no WAL magic; ignored']);
  });
});

describe('rpm License', () => {
  it('the License tag is the package license, as written; an empty one is absent', () => {
    const lic = (value: string) => readRpmPackage(pkgHeader({ name: 'foo', extra: [{ tag: 1014, type: S, value }] })).license;
    expect(lic('MIT AND (GPL-2.0-or-later OR BSD-3-Clause)')).toBe('MIT AND (GPL-2.0-or-later OR BSD-3-Clause)');
    expect(lic('GPLv2+')).toBe('GPLv2+');
    expect(lic('')).toBeUndefined();
  });
});
