// Shared by the LUKS tests: images made by independent LUKS writers (qemu-img, cryptsetup),
// luksDump's answers parsed, and LUKS2 header surgery (rewrite the JSON of both copies with
// their checksums recomputed, as a hostile writer would) for crafted inputs.
import { execFile, execFileSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { type ByteSource, checkRange } from '../../src/disk/source.js';

const execFileP = promisify(execFile);
const made: string[] = [];

export function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'joot-luks-'));
  made.push(dir);
  return dir;
}

export function removeTmps(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Run a tool with `input` on stdin; its stdout. */
export async function tool(cmd: string, args: string[], input?: string): Promise<string> {
  const p = execFileP(cmd, args, { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 64 << 20, timeout: 120_000 });
  // a tool that never reads stdin may close it first: that is no failure
  p.child.stdin?.on('error', () => {});
  p.child.stdin?.end(input ?? '');
  return (await p).stdout;
}

export interface DumpFacts {
  uuid: string;
  label?: string;
  cipher: string;
  keyBits: number;
  volumeKey: Buffer;
  /** payload offset in 512-byte sectors */
  payloadSectors: number;
}

/** cryptsetup luksDump (plain, and --dump-volume-key with the passphrase from `keyFile`). */
export async function luksDump(file: string, keyFile: string): Promise<DumpFacts> {
  const plain = await tool('cryptsetup', ['luksDump', file]);
  const vk = await tool('cryptsetup', ['luksDump', '--dump-volume-key', '--batch-mode', '--key-file', keyFile, file]);
  const field = (text: string, re: RegExp) => re.exec(text)?.[1]?.trim();
  const v1 = /Version:\s*1/.test(plain);
  const cipher = v1
    ? `${field(plain, /Cipher name:\s*(\S+)/)}-${field(plain, /Cipher mode:\s*(\S+)/)}`
    : field(plain, /Data segments:[\s\S]*?cipher:\s*(\S+)/);
  const label = v1 ? undefined : field(plain, /Label:\s*(.*)/);
  const mk = vk.slice(vk.indexOf('MK dump:') + 8).match(/\b[0-9a-f]{2}\b/g) ?? [];
  return {
    uuid: field(vk, /UUID:\s*(\S+)/) ?? '',
    ...(label === undefined || label === '(no label)' ? {} : { label }),
    cipher: cipher ?? '',
    keyBits: Number(field(vk, /MK bits:\s*(\d+)/)),
    volumeKey: Buffer.from(mk.join(''), 'hex'),
    payloadSectors: Number(field(vk, /Payload offset:\s*(\d+)/)),
  };
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Read all of a ByteSource-like in 1 MiB pieces and hash it. */
export async function hashSource(src: { size: number; read(o: number, l: number): Promise<Buffer> }, upTo = src.size): Promise<string> {
  const h = createHash('sha256');
  for (let o = 0; o < upTo; o += 1 << 20) h.update(await src.read(o, Math.min(1 << 20, upTo - o)));
  return h.digest('hex');
}

/** Offsets of the two LUKS2 header copies and their size. */
export function luks2Copies(img: Buffer): { hdrSize: number; offsets: number[] } {
  const hdrSize = Number(img.readBigUInt64BE(8));
  return { hdrSize, offsets: [0, hdrSize] };
}

/** Recompute the checksum of the LUKS2 header copy at `at` (sha256, as cryptsetup writes). */
export function fixLuks2Checksum(img: Buffer, at: number, hdrSize: number): void {
  img.fill(0, at + 448, at + 512);
  createHash('sha256')
    .update(img.subarray(at, at + hdrSize))
    .digest()
    .copy(img, at + 448);
}

export function luks2Json(img: Buffer, at = 0): Record<string, unknown> {
  const hdrSize = Number(img.readBigUInt64BE(8));
  const area = img.subarray(at + 4096, at + hdrSize);
  return JSON.parse(area.subarray(0, area.indexOf(0)).toString('utf8'));
}

/** Replace the JSON text of the given copies (default both) and fix their checksums. */
export function setLuks2Json(img: Buffer, text: string, which: number[] = [0, 1]): void {
  const { hdrSize, offsets } = luks2Copies(img);
  for (const i of which) {
    const at = offsets[i]!;
    img.fill(0, at + 4096, at + hdrSize);
    Buffer.from(text, 'utf8').copy(img, at + 4096, 0, hdrSize - 4096);
    fixLuks2Checksum(img, at, hdrSize);
  }
}

/** A LUKS image cryptsetup luksFormat made on a file of `size` with `pass` (pbkdf2, 1000 iterations, plus `args`), read back. */
export async function makeLuks(name: string, size: string, args: string[], pass: Buffer): Promise<Buffer> {
  const dir = tmp();
  const file = join(dir, name);
  const key = join(dir, 'key');
  writeFileSync(key, pass);
  await tool('truncate', ['-s', size, file]);
  await tool('cryptsetup', ['luksFormat', '--batch-mode', '--pbkdf-force-iterations', '1000', '--key-file', key, ...args, file]);
  return readFileSync(file);
}

// biome-ignore lint/suspicious/noExplicitAny: the tests edit crafted JSON freely, at any depth
export type Luks2Json = Record<string, any>;

/** A copy of LUKS2 image `base` whose JSON (both copies, checksums fixed) `f` edited. */
export function editLuks2Json(base: Buffer, f: (j: Luks2Json) => void): Buffer {
  const b = Buffer.from(base);
  const j = luks2Json(b) as Luks2Json;
  f(j);
  setLuks2Json(b, JSON.stringify(j));
  return b;
}

/** The edit that makes key slot 0 an argon2id of `memory` KiB and `time` passes. */
export const argon2Slot0 =
  (memory: number, time: number) =>
  (j: Luks2Json): void => {
    j.keyslots['0'].kdf = { type: 'argon2id', time, memory, cpus: 4, salt: j.keyslots['0'].kdf.salt };
  };

/** A crafted image in memory. */
export class MemSource implements ByteSource {
  constructor(
    readonly buf: Buffer,
    readonly name = 'crafted.img',
  ) {}
  get size() {
    return this.buf.length;
  }
  async read(offset: number, length: number) {
    checkRange(this, offset, length);
    return Buffer.from(this.buf.subarray(offset, offset + length));
  }
  async close() {}
}

/** `p` rejects with a one-line JootError of `code` whose message matches `re`. */
export async function expectError(p: Promise<unknown>, code: string, re: RegExp): Promise<JootError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(JootError);
  const j = e as JootError;
  expect(j.code, j.message).toBe(code);
  expect(j.message).toMatch(re);
  expect(j.message).not.toContain('\n');
  return j;
}

// ---------------------------------------------------------------- detached headers

export const DETACHED_PASS = 'detached pass:word';
export const DETACHED_SIZE = 4 * 1024 * 1024;
const PASS = DETACHED_PASS;
const SIZE = DETACHED_SIZE;

/** `plain` encrypted as dm-crypt's aes-xts-plain64 with `sectorSize`-byte sectors, IVs counting 512-byte units. */
function encrypt(plain: Buffer, key: Buffer, sectorSize: number): Buffer {
  const out = Buffer.alloc(plain.length);
  for (let o = 0; o < plain.length; o += sectorSize) {
    const iv = Buffer.alloc(16);
    iv.writeBigUInt64LE(BigInt(o / 512));
    const c = createCipheriv(key.length === 64 ? 'aes-256-xts' : 'aes-128-xts', key, iv);
    c.update(plain.subarray(o, o + sectorSize)).copy(out, o);
  }
  return out;
}

export interface Detached {
  dir: string;
  dev: string;
  hdr: string;
  uuid: string;
  plain: Buffer;
}

/** A detached-header LUKS volume (cryptsetup --header) on a data file holding an ext4 labelled
 *  `label` (with the files of `tree`), encrypted here with the volume key luksDump gives. */
export async function makeDetached(type: 'luks1' | 'luks2', label: string, extra: string[] = [], tree?: string): Promise<Detached> {
  const dir = tmp();
  const dev = join(dir, 'dev.img');
  const hdr = join(dir, 'hdr.img');
  const keyFile = join(dir, 'key');
  writeFileSync(keyFile, PASS);
  const fsImg = join(dir, 'fs.img');
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', label, ...(tree ? ['-d', tree] : []), fsImg, `${SIZE / 1024}k`], { stdio: 'ignore' });
  writeFileSync(dev, Buffer.alloc(SIZE));
  // prettier-ignore
  await tool('cryptsetup', [
    'luksFormat',
    '-q',
    '--type',
    type,
    '--header',
    hdr,
    '--pbkdf',
    'pbkdf2',
    '--pbkdf-force-iterations',
    '1000',
    '--key-file',
    keyFile,
    ...extra,
    dev,
  ]);
  const facts = await luksDump(hdr, keyFile);
  expect(facts.cipher).toBe('aes-xts-plain64');
  const dump = await tool('cryptsetup', ['luksDump', hdr]);
  const sector = Number(/sector:\s*(\d+)/.exec(dump)?.[1] ?? 512);
  const offset = type === 'luks1' ? facts.payloadSectors * 512 : Number(/offset:\s*(\d+) \[bytes\]/.exec(dump)?.[1]);
  expect(offset).toBe(0);
  const plain = readFileSync(fsImg);
  writeFileSync(dev, encrypt(plain, facts.volumeKey, sector));
  return { dir, dev, hdr, uuid: facts.uuid, plain };
}
