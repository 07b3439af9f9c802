// A guest's FIFOs and device nodes are refused BEFORE they are opened, by every reader of
// guest file content (GuestReader and jfish's streaming readers: head, tail, checksum,
// download, grep, file, …): one line naming the guest path, promptly. A host tmp tree stands in
// for the guest root; it holds a FIFO and, when run as root, a character device (c 1 3) and a
// block device node, reached directly and through guest symlinks. fs.promises.open is watched:
// the check is that no open ever names one of these nodes (an open, not only a read, of a
// device node is what the `nodev` mount alone stands between).
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { GuestReader } from '../../src/appliance/guest-reader.js';
import { GuestWriter } from '../../src/appliance/guest-writer.js';
import { grepFile } from '../../src/ops/editing/grep.js';
import { fileType } from '../../src/ops/editing/filetype.js';
import { checksum, guestLines, headLines, openGuestFile, tailLines } from '../../src/ops/file-ops.js';
import { download } from '../../src/ops/transfer-ops.js';

const root0 = process.getuid?.() === 0;
let tmp = '';
let root = '';
let reader: GuestReader;
const opened: string[] = [];
const specials: string[] = []; // guest paths
let specialHost: string[] = [];

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'joot-special-nodes-'));
  root = path.join(tmp, 'sysroot');
  await fsp.mkdir(path.join(root, 'dev'), { recursive: true });
  await fsp.mkdir(path.join(root, 'etc'));
  await fsp.writeFile(path.join(root, 'etc', 'ok'), 'fine\n');
  execFileSync('mkfifo', [path.join(root, 'dev', 'fifo')]);
  specials.push('/dev/fifo');
  if (root0) {
    execFileSync('mknod', [path.join(root, 'dev', 'null'), 'c', '1', '3']);
    execFileSync('mknod', [path.join(root, 'dev', 'loop0'), 'b', '7', '0']);
    specials.push('/dev/null', '/dev/loop0');
  }
  // links to them, absolute (resolved inside the guest) and relative
  await fsp.symlink('/dev/fifo', path.join(root, 'etc', 'fifolink'));
  specials.push('/etc/fifolink');
  if (root0) {
    await fsp.symlink('../dev/null', path.join(root, 'etc', 'nulllink'));
    specials.push('/etc/nulllink');
  }
  specialHost = ['fifo', 'null', 'loop0'].map((n) => path.join(root, 'dev', n));
  reader = new GuestReader(root);
});

afterAll(async () => {
  vi.restoreAllMocks();
  if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
});

afterEach(() => {
  opened.length = 0;
});

/** Watch every fs.promises.open of the code under test. */
function watchOpens(): void {
  const real = fsp.open.bind(fsp);
  vi.spyOn(fsp, 'open').mockImplementation(((p: Parameters<typeof fsp.open>[0], ...rest: unknown[]) => {
    opened.push(String(p));
    return (real as (...a: unknown[]) => ReturnType<typeof fsp.open>)(p, ...rest);
  }) as typeof fsp.open);
}

async function refused(p: Promise<unknown>, guestPath: string): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(JootError);
  const msg = (err as JootError).message;
  expect(msg).toBe(`${guestPath}: not a regular file`);
  expect(msg).not.toContain(tmp);
  expect(opened.filter((o) => specialHost.includes(o))).toEqual([]);
}

describe('special guest nodes are refused before they are opened', () => {
  beforeAll(() => watchOpens());

  it('the watch sees opens (sanity: a regular file is opened through fs.promises.open)', async () => {
    expect(await reader.readText('/etc/ok')).toBe('fine\n');
    expect(opened).toContain(path.join(root, 'etc', 'ok'));
  });

  const readers: [string, (g: string) => Promise<unknown>][] = [
    ['GuestReader.readFile', (g) => reader.readFile(g)],
    ['GuestReader.readLines', (g) => reader.readLines(g)],
    ['GuestReader.readHead', (g) => reader.readHead(g, 16)],
    ['GuestReader.openFile', (g) => reader.openFile(g)],
    ['openGuestFile', (g) => openGuestFile(reader, g)],
    ['head', (g) => headLines(reader, g, 10)],
    ['head-n 0', (g) => headLines(reader, g, 0)],
    ['tail', (g) => tailLines(reader, g, 10)],
    [
      'lines',
      async (g) => {
        for await (const l of guestLines(reader, g)) void l;
      },
    ],
    ['checksum', (g) => checksum(reader, 'sha256', g)],
    ['grep', (g) => grepFile(reader, g, 'x', { syntax: 'basic' }, async () => undefined)],
    ['zgrep', (g) => grepFile(reader, g, 'x', { syntax: 'basic', compressed: true }, async () => undefined)],
    [
      'download',
      (g) =>
        download({ reader, writer: new GuestWriter(reader, root, { readonly: true }) }, g, path.join(tmp, 'out'), {
          write: async () => undefined,
          closed: false,
        } as never),
    ],
  ];

  for (const [name, read] of readers) {
    it(`${name}: one line naming the guest path, no open of the node`, async () => {
      for (const g of specials) await refused(read(g), g);
      // nothing was created by download
      await expect(fsp.access(path.join(tmp, 'out'))).rejects.toThrow();
    });
  }

  it('file: names the kind of node without opening it', async () => {
    expect(await fileType(reader, '/dev/fifo')).toBe('fifo');
    if (root0) {
      expect(await fileType(reader, '/dev/null')).toBe('character device');
      expect(await fileType(reader, '/dev/loop0')).toBe('block device');
    }
    expect(opened.filter((o) => specialHost.includes(o))).toEqual([]);
  });
});
