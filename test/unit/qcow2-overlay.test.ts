// writeQcow2Overlay against qemu-img's own overlays: same bytes (but for qemu's optional
// feature-name table), same `qemu-img info`, clean `qemu-img check`, usable by qemu-io.
// imageVirtualSize: raw, qcow2, and nothing for other formats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JootError } from '../../src/core/errors.js';
import { imageVirtualSize, writeQcow2Overlay } from '../../src/appliance/qcow2-overlay.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;
const BASE_SIZE = 8 * MiB;

let dir = '';
let n = 0;
const fresh = (tag: string): string => join(dir, `${tag}-${n++}.qcow2`);

function qemuImg(...args: string[]): string {
  return execFileSync('qemu-img', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** qemu-io one command; throws (with its output) unless it exits 0 */
function qemuIo(format: string, file: string, cmd: string): string {
  const r = spawnSync('qemu-io', ['-f', format, '-c', cmd, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`qemu-io ${cmd}: exit ${r.status}: ${r.stdout}${r.stderr}`);
  expect(r.stdout).not.toMatch(/verification failed|error/i);
  return r.stdout;
}

function check(file: string): void {
  const r = spawnSync('qemu-img', ['check', '-f', 'qcow2', file], { encoding: 'utf8' });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
}

function infoFields(file: string): Record<string, unknown> {
  const i = JSON.parse(qemuImg('info', '--output=json', '-f', 'qcow2', file)) as Record<string, unknown>;
  const d = (i['format-specific'] as { data?: Record<string, unknown> } | undefined)?.data ?? {};
  return {
    format: i.format,
    'virtual-size': i['virtual-size'],
    'backing-filename': i['backing-filename'],
    'backing-filename-format': i['backing-filename-format'],
    'cluster-size': i['cluster-size'],
    compat: d.compat,
    'refcount-bits': d['refcount-bits'],
    corrupt: d.corrupt,
  };
}

const FEATURE_NAME_TABLE = 0x6803f857;

/**
 * qemu-img's overlay as we write it: qemu adds a feature-name table header extension
 * (optional; only names feature bits in error messages), which pushes the backing file name
 * further into cluster 0. Drop that extension and re-lay out cluster 0 the same way (header,
 * remaining extensions, end marker, backing name, zeros); clusters 1… are left as they are.
 */
function withoutFeatureTable(q: Buffer): Buffer {
  const out = Buffer.from(q);
  const headerLength = q.readUInt32BE(100);
  const nameOffset = Number(q.readBigUInt64BE(8));
  const nameSize = q.readUInt32BE(16);
  const name = q.subarray(nameOffset, nameOffset + nameSize);
  const kept: Buffer[] = [];
  let off = headerLength;
  for (;;) {
    const type = q.readUInt32BE(off);
    const len = q.readUInt32BE(off + 4);
    const whole = 8 + ((len + 7) & ~7);
    if (type === 0) break;
    if (type !== FEATURE_NAME_TABLE) kept.push(q.subarray(off, off + whole));
    off += whole;
  }
  const cluster0 = Buffer.alloc(65536);
  q.copy(cluster0, 0, 0, headerLength);
  let p = headerLength;
  for (const e of kept) p += e.copy(cluster0, p);
  p += 8; // end marker: zeros
  cluster0.writeBigUInt64BE(BigInt(p), 8);
  name.copy(cluster0, p);
  cluster0.copy(out, 0);
  return out;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'joot-qcow2-'));
  qemuImg('create', '-q', '-f', 'raw', join(dir, 'base.raw'), String(BASE_SIZE));
  qemuImg('create', '-q', '-f', 'qcow2', join(dir, 'base.qcow2'), String(BASE_SIZE));
  // base content: 0xcd everywhere, so reads the overlay has not written show it
  qemuIo('raw', join(dir, 'base.raw'), `write -P 0xcd 0 ${BASE_SIZE}`);
  qemuIo('qcow2', join(dir, 'base.qcow2'), `write -P 0xcd 0 ${BASE_SIZE}`);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(['raw', 'qcow2'])('writeQcow2Overlay on a %s base', (fmt) => {
  const base = (): string => join(dir, `base.${fmt}`);

  it.each([
    ['64 MiB', 64 * MiB],
    ['4 GiB', 4 * GiB],
    ['1 TiB', 1 * TiB],
    ['5 TiB (two L1 clusters)', 5 * TiB],
  ])('%s: same as qemu-img create, checks clean, reads and writes', (_label, size) => {
    const theirs = fresh('qemu');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=65536', '-b', base(), '-F', fmt, theirs, String(size));
    const ours = fresh('ours');
    writeQcow2Overlay(ours, { virtualSize: size, backingFile: base(), backingFormat: fmt });

    check(ours);
    expect(infoFields(ours)).toEqual(infoFields(theirs));
    expect(infoFields(ours)).toMatchObject({
      format: 'qcow2',
      'virtual-size': size,
      'backing-filename': base(),
      'backing-filename-format': fmt,
      compat: '1.1',
      'refcount-bits': 16,
      corrupt: false,
    });

    const mine = readFileSync(ours);
    const q = readFileSync(theirs);
    expect(mine.length).toBe(q.length); // qemu ends the file right after the L1 table
    expect(mine.equals(withoutFeatureTable(q))).toBe(true);

    qemuIo('qcow2', ours, 'write -P 0xab 1M 2M');
    qemuIo('qcow2', ours, `write -P 0xef ${size - 128 * 1024} 64k`); // the last L1 cluster
    check(ours);
    qemuIo('qcow2', ours, 'read -P 0xab 1M 2M');
    qemuIo('qcow2', ours, `read -P 0xef ${size - 128 * 1024} 64k`);
    qemuIo('qcow2', ours, 'read -P 0xcd 4M 64k'); // unwritten: the base shows through
    qemuIo('qcow2', ours, 'read -P 0x00 32M 64k'); // past the base's end: zeros
  });
});

describe('writeQcow2Overlay refusals', () => {
  const ok = () => ({ virtualSize: 64 * MiB, backingFile: join(dir, 'base.raw'), backingFormat: 'raw' });

  function refused(o: Partial<ReturnType<typeof ok>>): JootError {
    const path = fresh('bad');
    try {
      writeQcow2Overlay(path, { ...ok(), ...o });
    } catch (e) {
      expect(existsSync(path)).toBe(false);
      expect(e).toBeInstanceOf(JootError);
      expect((e as JootError).code).toBe('EINVAL');
      expect((e as JootError).message).not.toContain('\n');
      return e as JootError;
    }
    throw new Error('did not throw');
  }

  it('never overwrites an existing file', () => {
    const path = fresh('exists');
    writeFileSync(path, 'keep me');
    expect(() => writeQcow2Overlay(path, ok())).toThrow(/EEXIST/);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
  });

  it('refuses a bad format name', () => {
    for (const backingFormat of ['', 'QCOW2', 'raw ', 'a/b', 'qcow2\0']) refused({ backingFormat });
  });

  it('refuses a bad size', () => {
    for (const virtualSize of [0, -512, 1000, 512.5, NaN, Infinity, 2 ** 60]) refused({ virtualSize });
  });

  it('refuses a backing name with NUL or too long for cluster 0', () => {
    refused({ backingFile: '/tmp/a\0b' });
    refused({ backingFile: '' });
    refused({ backingFile: `/${'x'.repeat(1023)}` });
    const longest = fresh('longest');
    writeQcow2Overlay(longest, { ...ok(), backingFile: `/${'x'.repeat(1022)}` });
    expect(readFileSync(longest).readUInt32BE(16)).toBe(1023);
  });
});

describe('imageVirtualSize', () => {
  it('reads raw and qcow2 sizes without qemu', () => {
    expect(imageVirtualSize(join(dir, 'base.raw'), 'raw')).toBe(BASE_SIZE);
    expect(imageVirtualSize(join(dir, 'base.qcow2'), 'qcow2')).toBe(BASE_SIZE);
    const big = fresh('big');
    qemuImg('create', '-q', '-f', 'qcow2', big, String(5 * TiB));
    expect(imageVirtualSize(big, 'qcow2')).toBe(5 * TiB);
  });

  it('rounds a raw file up to 512 bytes, as qemu does', () => {
    const odd = join(dir, 'odd.raw');
    writeFileSync(odd, Buffer.alloc(1000, 1));
    expect(imageVirtualSize(odd, 'raw')).toBe(1024);
    const info = JSON.parse(qemuImg('info', '--output=json', '-f', 'raw', odd)) as { 'virtual-size': number };
    expect(info['virtual-size']).toBe(1024);
  });

  it('leaves other formats (and a non-qcow2 file called qcow2) to qemu-img', () => {
    const vmdk = join(dir, 'x.vmdk');
    qemuImg('create', '-q', '-f', 'vmdk', vmdk, '16M');
    expect(imageVirtualSize(vmdk, 'vmdk')).toBeUndefined();
    expect(imageVirtualSize(vmdk, 'qcow2')).toBeUndefined();
  });
});
