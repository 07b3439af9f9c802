// Casefolded lookups, against e2fsprogs: ext-crypt.raw p2's /cf (made casefolded by debugfs;
// this host's kernel has no CONFIG_UNICODE, so it cannot mount it). The oracle is e2fsprogs'
// own copy of the kernel's utf8 tables: `debugfs -R 'dx_hash -c -e utf8 NAME'` hashes the name
// as the kernel folds it, so two names are the same to the kernel exactly when those hashes
// agree (a 64-bit hash; the names here do not collide). Every probe — case, normalisation and
// folding variants of the names in /cf — must look up to the entry whose hash it shares, or to
// nothing. One difference is by design: e2fsprogs 1.47.0 still drops default-ignorable code
// points (U+200B…), which Linux stopped doing in 6.13; there the reader follows the kernel.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openFilesystem } from '../../src/disk/fs/index.js';
import { FileSource, SliceSource } from '../../src/disk/source.js';
import { fixture } from '../fixtures/index.js';

const exec = promisify(execFile);

const utf8 = new TextDecoder('utf-8', { fatal: true });
const isUtf8 = (b: Buffer) => {
  try {
    utf8.decode(b);
    return true;
  } catch {
    return false;
  }
};

/**
 * The kernel-folded hash of each name, from debugfs (one process for them all). debugfs refuses
 * to fold a name that is not UTF-8; the kernel (without the strict flag) hashes and compares
 * such a name as plain bytes, so it gets the plain hash.
 */
async function foldedHashes(names: Buffer[]): Promise<string[]> {
  const cmd = (n: Buffer) => Buffer.from(isUtf8(n) ? 'dx_hash -c -e utf8 -h half_md4 x' : 'dx_hash -h half_md4 x');
  const script = Buffer.concat(names.map((n) => Buffer.concat([cmd(n), n, Buffer.from('\n')])));
  const child = execFile('debugfs', ['-f', '-'], { encoding: 'buffer', maxBuffer: 1 << 24 });
  child.stdin!.end(script);
  const out = await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => parts.push(b));
    child.on('error', reject);
    child.on('close', () => resolve(Buffer.concat(parts)));
  });
  const hashes = [...out.toString('latin1').matchAll(/is (0x[0-9a-f]+ \(minor 0x[0-9a-f]+\))/g)].map((m) => m[1]!);
  expect(hashes).toHaveLength(names.length);
  return hashes;
}

const PROBES = [
  'STRASSE',
  'strasse',
  'straße',
  'STRAẞE',
  'Strasse',
  'ångström',
  'A\u030aNGSTRO\u0308M',
  '\u212bngström',
  'angstrom',
  'école',
  'ÉCOLE',
  'E\u0301COLE',
  'ecole',
  'σίσυφος',
  'ΣΊΣΥΦΟς',
  'σι\u0301συφοσ',
  'ΣΙΣΥΦΟΣ',
  'i\u0307stanbul',
  'İSTANBUL',
  'istanbul',
  'ıstanbul',
  'ⅻroman',
  'ⅫROMAN',
  'xiiroman',
  'FFIx',
  'ffix',
  'ﬀix',
  'ꭰcherokee',
  'ᎠCHEROKEE',
  'acherokee',
  'kkelvin',
  'KKELVIN',
  '\u212a\u212aELVIN',
  'ωohm',
  'ΩOHM',
  '\u2126ohm',
  'PLAIN-ASCII',
  'plain-ascii',
  'plain_ascii',
];

describe.skipIf(process.getuid?.() !== 0)('ext reader: casefolded lookups vs e2fsprogs', () => {
  it('ext-crypt.raw p2 /cf: case and Unicode variants find what the kernel would find', { timeout: 120_000 }, async () => {
    const image = await fixture('ext-crypt.raw');
    const { stdout } = await exec('sfdisk', ['-J', image]);
    const p = (JSON.parse(stdout) as { partitiontable: { partitions: { start: number; size: number }[] } }).partitiontable.partitions[1]!;
    const file = await FileSource.open(image);
    try {
      const fs = await openFilesystem(new SliceSource(file, p.start * 512, p.size * 512, '/dev/sda2'), 'ext4', '/dev/sda2');
      const cf = (await fs.lookup(await fs.root(), 'cf'))!;
      const entries = await fs.readdir(cf);
      // the raw names (readdir's are decoded; 'bad' + 0xff is not UTF-8)
      const raw = entries.map((e) => (e.name === 'bad\ufffd' ? Buffer.from([0x62, 0x61, 0x64, 0xff]) : Buffer.from(e.name)));
      expect(raw).toHaveLength(13);
      const ignorable = (b: Buffer) => /\p{Default_Ignorable_Code_Point}/u.test(b.toString('utf8'));
      const probes = [...PROBES.map((s) => Buffer.from(s)), ...raw.filter((b) => !ignorable(b)), Buffer.from([0x42, 0x41, 0x44, 0xff])];
      const [entryHashes, probeHashes] = await Promise.all([foldedHashes(raw), foldedHashes(probes)]);
      expect(new Set(entryHashes).size).toBe(raw.length);
      const wrong: string[] = [];
      let found = 0;
      for (let i = 0; i < probes.length; i++) {
        const j = entryHashes.findIndex((h, k) => h === probeHashes[i] && !ignorable(raw[k]!));
        const want = j < 0 ? undefined : entries[j]!.node.ino;
        // a name that is not UTF-8 cannot be spelled as a string: readdir's spelling stands for it
        const got = (await fs.lookup(cf, probes[i]!.toString('utf8')))?.ino;
        if (!isUtf8(probes[i]!) && !entries.some((e) => e.name === probes[i]!.toString('utf8'))) {
          if (want !== undefined) wrong.push(`${probes[i]!.toString('hex')}: the kernel finds ${want}`);
          continue;
        }
        if (want !== undefined) found++;
        if (got !== want) wrong.push(`${probes[i]!.toString('utf8')}: want ${want}, got ${got}`);
      }
      expect(wrong).toEqual([]);
      expect(found).toBeGreaterThan(30);
      // Linux 6.13+: a default-ignorable code point is a character like any other
      expect(await fs.lookup(cf, 'ZERO\u200bWIDTH')).toBeDefined();
      expect(await fs.lookup(cf, 'zerowidth')).toBeUndefined();
      // not UTF-8: only the very bytes (or readdir's spelling of them) find it
      expect(await fs.lookup(cf, 'bad\ufffd')).toBeDefined();
      expect(await fs.lookup(cf, 'BAD\ufffd')).toBeUndefined();
      // the root is not casefolded
      expect(await fs.lookup(await fs.root(), 'CF')).toBeUndefined();
      await fs.close();
    } finally {
      await file.close();
    }
  });
});
