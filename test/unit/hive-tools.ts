// Shared by the hive tests: a minimal hive built by hand from the regf specification (not with
// joot's writer, so the read path is checked against bytes joot did not produce), a checksum
// computed independently, and runners for Debian's hivex tools (hivexsh, hivexregedit).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A scratch directory, removed by removeTmps() (each test file's afterAll). */
export function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'joot-hive-'));
  made.push(dir);
  return dir;
}

export function removeTmps(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** XOR of the first 127 dwords of the base block. */
export function xorChecksum(b: Buffer): number {
  let c = 0;
  for (let i = 0; i < 508; i += 4) c ^= b.readUInt32LE(i);
  return c >>> 0;
}

/** base block + one 4 KiB hbin: root nk "ROOT" at 0x20, an sk after it, the rest one free cell. */
export function minimalHive(): Buffer {
  const f = Buffer.alloc(8192);
  f.write('regf', 0, 'latin1');
  f.writeUInt32LE(1, 4);
  f.writeUInt32LE(1, 8);
  f.writeBigUInt64LE(133000000000000000n, 12);
  f.writeUInt32LE(1, 20);
  f.writeUInt32LE(5, 24);
  f.writeUInt32LE(0, 28);
  f.writeUInt32LE(1, 32);
  f.writeUInt32LE(0x20, 36); // root cell
  f.writeUInt32LE(4096, 40); // hive bins size
  f.writeUInt32LE(1, 44);
  // hbin header
  const h = 4096;
  f.write('hbin', h, 'latin1');
  f.writeUInt32LE(0, h + 4);
  f.writeUInt32LE(4096, h + 8);
  // root nk: 4 (size) + 76 + 4 ("ROOT") = 84 → 88
  const nk = h + 0x20;
  const sk = 0x20 + 88;
  f.writeInt32LE(-88, nk);
  f.write('nk', nk + 4, 'latin1');
  f.writeUInt16LE(0x2c, nk + 6); // HIVE_ENTRY | NO_DELETE | COMP_NAME
  f.writeBigUInt64LE(133000000000000000n, nk + 8);
  f.writeUInt32LE(0xffffffff, nk + 4 + 16); // parent
  f.writeUInt32LE(0xffffffff, nk + 4 + 28); // subkey list
  f.writeUInt32LE(0xffffffff, nk + 4 + 32);
  f.writeUInt32LE(0xffffffff, nk + 4 + 40); // value list
  f.writeUInt32LE(sk, nk + 4 + 44);
  f.writeUInt32LE(0xffffffff, nk + 4 + 48); // class
  f.writeUInt16LE(4, nk + 4 + 72);
  f.write('ROOT', nk + 4 + 76, 'latin1');
  // sk with a 20-byte self-relative descriptor that has no owner, group or ACLs
  const s = h + sk;
  f.writeInt32LE(-48, s);
  f.write('sk', s + 4, 'latin1');
  f.writeUInt32LE(sk, s + 8);
  f.writeUInt32LE(sk, s + 12);
  f.writeUInt32LE(1, s + 16);
  f.writeUInt32LE(20, s + 20);
  f[s + 24] = 1;
  f.writeUInt16LE(0x8000, s + 26);
  // the rest of the bin is free
  const free = sk + 48;
  f.writeInt32LE(4096 - free, h + free);
  f.writeUInt32LE(xorChecksum(f), 508);
  return f;
}

export function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** hivexregedit --merge of UTF-8 .reg text into a hive file. */
export function hivexMerge(hive: string, reg: string, prefix = 'HKEY_LOCAL_MACHINE\\SOFTWARE'): void {
  const f = `${hive}.in.reg`;
  writeFileSync(f, reg);
  run('hivexregedit', ['--merge', '--prefix', prefix, hive, f]);
}

/**
 * hivexregedit --export as text. Perl prints names whose characters all fit in Latin-1 as
 * Latin-1 bytes and others as UTF-8, so each line is decoded on its own.
 */
export function hivexExport(hive: string, key = '\\', prefix = 'HKEY_LOCAL_MACHINE\\SOFTWARE'): string {
  const raw = execFileSync('hivexregedit', ['--export', '--prefix', prefix, hive, key], {
    maxBuffer: 1 << 30,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const lines: string[] = [];
  for (let start = 0; start < raw.length; ) {
    let end = raw.indexOf(10, start);
    if (end < 0) end = raw.length;
    const line = raw.subarray(start, end);
    try {
      lines.push(utf8.decode(line));
    } catch {
      lines.push(line.toString('latin1'));
    }
    start = end + 1;
  }
  return lines.join('\n');
}

/** Run hivexsh commands (read from stdin) on a hive. */
export function hivexsh(hive: string, script: string): string {
  return run('hivexsh', [hive], script);
}

export function readHive(path: string): Buffer {
  return readFileSync(path);
}
