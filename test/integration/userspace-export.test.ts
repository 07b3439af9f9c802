// src/appliance/attach/userspace-export.ts on the real host: a ByteSource (here a plain slice of
// a fixture and a computed pattern; in a session an md array, a LUKS volume or an LV decoded in
// userspace) exposed as a read-only loop device through joot's NBD server and nbdfuse, mounted
// by the kernel and read back; released with nothing left behind, also when a test fails midway.
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposedWriteRefusal, exposeSource } from '../../src/appliance/attach/userspace-export.js';
import { CleanupStack } from '../../src/appliance/cleanup.js';
import { reapDeadSessions } from '../../src/appliance/registry.js';
import { mountFs } from '../../src/appliance/mount.js';
import { run, spawnProcess } from '../../src/core/run.js';
import { FileSource, SliceSource } from '../../src/disk/source.js';
import { fixture, REPO_ROOT } from '../fixtures/index.js';
import { PatternSource, patternBytes } from '../unit/pattern-source.js';
import { expectNoLeftovers, expectReleased, helperProcesses, sessionRecords, snapshot, waitProcessDead } from './leftovers.js';

const which = (p: string) => ['/usr/bin', '/usr/sbin', '/bin', '/sbin'].some((d) => existsSync(join(d, p)));
const CAN_RUN = process.getuid?.() === 0 && existsSync('/dev/loop-control') && existsSync('/dev/fuse') && which('nbdfuse');
const MiB = 1024 * 1024;

describe.skipIf(!CAN_RUN)('a userspace-decoded volume exposed to the kernel', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'joot-expose-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("mbr.raw's first partition, sliced in userspace, mounts read-only and reads; a rw mount is refused", async () => {
    const image = await fixture('mbr.raw');
    const before = await snapshot({ paths: [tmp] });
    const file = await FileSource.open(image);
    const stack = new CleanupStack();
    let device = '';
    try {
      const p1 = new SliceSource(file, 2048 * 512, 49152 * 512, '/dev/sda1');
      device = await exposeSource(p1, { tmpdir: tmp, name: 'sda1', stack });
      expect(device).toMatch(/^\/dev\/loop\d+$/);
      const dev = device.slice('/dev/'.length);
      expect(readFileSync(`/sys/block/${dev}/ro`, 'utf8').trim()).toBe('1');
      expect(Number(readFileSync(`/sys/block/${dev}/size`, 'utf8'))).toBe(49152);
      // blkid reads the device through the loop device, nbdfuse and the server in this process
      expect((await run('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device])).stdout.trim()).toBe('ext4');

      const mnt = join(tmp, 'mnt');
      await mkdir(mnt);
      const rw = mountFs(device, mnt, { vfstype: 'ext4', readonly: false, deviceReadonly: true }, stack);
      await expect(rw).rejects.toThrow('/dev/sda1: read-only: this host has no device-mapper, the volume is decoded in userspace');
      await mountFs(device, mnt, { vfstype: 'ext4', readonly: true, deviceReadonly: true }, stack);
      const mounted = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === mnt);
      expect(mounted).toMatch(/ ro,/);
      expect(await readFile(join(mnt, 'hello.txt'), 'utf8')).toBe('hello from mbr\n');
    } finally {
      await stack[Symbol.asyncDispose]();
      await file.close();
    }
    expect(exposedWriteRefusal(device)).toBeUndefined();
    expect(existsSync(join(tmp, 'expose-sda1'))).toBe(false);
    await expectNoLeftovers(before);
  });

  it('a 64 MiB computed source reads back through the loop device with dd', async () => {
    const before = await snapshot({ paths: [tmp] });
    const stack = new CleanupStack();
    const out = join(tmp, 'pattern.out');
    try {
      const src = new PatternSource(64 * MiB, 'pattern');
      const device = await exposeSource(src, { tmpdir: tmp, name: 'pattern', stack, missing: 'md' });
      expect(exposedWriteRefusal(device)?.message).toBe('pattern: read-only: this host has no md, the volume is decoded in userspace');
      await run('dd', [`if=${device}`, `of=${out}`, 'bs=1M', 'iflag=direct', 'status=none']);
      expect(readFileSync(out).equals(patternBytes(0, 64 * MiB))).toBe(true);
      // the kernel refuses writes to the read-only loop device
      const w = await run('dd', ['if=/dev/zero', `of=${device}`, 'bs=4096', 'count=1', 'oflag=direct', 'status=none'], {
        allowFailure: true,
      });
      expect(w.exitCode).not.toBe(0);
    } finally {
      await stack[Symbol.asyncDispose]();
      rmSync(out, { force: true });
    }
    await expectNoLeftovers(before);
  });

  it('many parallel reads of the device by this very process do not starve the server (file-backed source)', async () => {
    const before = await snapshot({ paths: [tmp] });
    const img = join(tmp, 'random.img');
    await run('dd', ['if=/dev/urandom', `of=${img}`, 'bs=1M', 'count=32', 'status=none']);
    const want = readFileSync(img);
    const src = await FileSource.open(img);
    const stack = new CleanupStack();
    try {
      const device = await exposeSource(src, { tmpdir: tmp, name: 'parallel', stack });
      const fh = await open(device, 'r');
      try {
        // more reads than libuv has pool threads, each parked in the kernel until the server answers
        const reads = Array.from({ length: 16 }, async (_, i) => {
          const b = Buffer.alloc(MiB);
          await fh.read(b, 0, MiB, i * 2 * MiB);
          return b.equals(want.subarray(i * 2 * MiB, (i * 2 + 1) * MiB));
        });
        const timeout = new Promise<'deadlock'>((r) => setTimeout(() => r('deadlock'), 20_000).unref());
        const r = await Promise.race([Promise.all(reads), timeout]);
        if (r === 'deadlock') {
          // break the cycle (a parked pool thread holds this process and every `losetup -a` on the
          // host): nbdfuse killed, the kernel fails the reads
          process.kill(Number(readFileSync(join(tmp, 'expose-parallel', 'nbdfuse.pid'), 'utf8')), 'SIGKILL');
        }
        expect(r).toEqual(Array(16).fill(true));
      } finally {
        await fh.close();
      }
    } finally {
      await stack[Symbol.asyncDispose]();
      await src.close();
      rmSync(img, { force: true });
    }
    await expectNoLeftovers(before);
  });

  it('a failure midway (while mounted) still releases everything, in order', async () => {
    const image = await fixture('mbr.raw');
    const before = await snapshot({ paths: [tmp] });
    const file = await FileSource.open(image);
    const stack = new CleanupStack();
    const mnt = join(tmp, 'mnt2');
    const failing = async () => {
      try {
        const p1 = new SliceSource(file, 2048 * 512, 49152 * 512, '/dev/sda1');
        const device = await exposeSource(p1, { tmpdir: tmp, name: 'mid', stack });
        await mkdir(mnt);
        await mountFs(device, mnt, { vfstype: 'ext4', readonly: true, deviceReadonly: true }, stack);
        expect(helperProcesses().some((p) => p.args.join(' ').includes(tmp))).toBe(true);
        throw new Error('the test fails here');
      } finally {
        await stack[Symbol.asyncDispose]();
        await file.close();
      }
    };
    await expect(failing()).rejects.toThrow('the test fails here');
    await expectNoLeftovers(before);
  });

  it("a joot SIGKILLed while a volume is exposed and mounted: nbdfuse dies with it, the next joot's reaper releases the rest", async () => {
    const { build } = await import('esbuild');
    const before = await snapshot({ paths: [tmp] });
    const work = join(REPO_ROOT, '.cache', `expose-sigkill.${process.pid}`);
    await mkdir(work, { recursive: true });
    const runDir = join(tmp, 'run');
    const src = (f: string) => JSON.stringify(join(REPO_ROOT, 'src', f));
    try {
      const entry = join(work, 'entry.ts');
      writeFileSync(
        entry,
        `import { exposeSource } from ${src('appliance/attach/userspace-export.ts')};
import { CleanupStack } from ${src('appliance/cleanup.ts')};
import { mountFs } from ${src('appliance/mount.ts')};
import { SessionRecord } from ${src('appliance/registry.ts')};
import { FileSource, SliceSource } from ${src('disk/source.ts')};
import { mkdir, readFile } from 'node:fs/promises';
const [image, tmp] = process.argv.slice(2);
const f = await FileSource.open(image);
const stack = new CleanupStack(new SessionRecord());
const dev = await exposeSource(new SliceSource(f, 2048 * 512, 49152 * 512, '/dev/sda1'), { tmpdir: tmp, name: 'killed', stack });
await mkdir(tmp + '/mnt-killed');
await mountFs(dev, tmp + '/mnt-killed', { vfstype: 'ext4', readonly: true, deviceReadonly: true }, stack);
process.stdout.write(await readFile(tmp + '/mnt-killed/hello.txt', 'utf8'));
process.kill(process.pid, 'SIGKILL');
`,
      );
      const bundle = join(work, 'entry.mjs');
      await build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        format: 'esm',
        packages: 'external',
        outfile: bundle,
        logLevel: 'silent',
      });
      const child = spawnProcess('node', [bundle, await fixture('mbr.raw'), tmp], {
        env: { JOOT_RUN_DIR: runDir },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
      });
      const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
      expect(signal).toBe('SIGKILL');
      expect(out).toBe('hello from mbr\n');
      const [record] = sessionRecords(runDir);
      expect(record?.resources.map((x) => x.kind)).toEqual(['dir', 'dir', 'mount', 'helper', 'loop', 'dir', 'mount']);
      // nbdfuse got its parent-death signal: the FUSE file is unmounted, the loop device and the
      // guest mount remain for the reaper
      for (const p of record!.resources.filter((x) => x.kind === 'helper')) await waitProcessDead(p.pid!);
      expect(await reapIn(runDir)).toBe(1);
      await expectReleased(record!.resources);
    } finally {
      await reapIn(runDir); // whatever a failure above left
      rmSync(work, { recursive: true, force: true });
    }
    await expectNoLeftovers(before);
  });

  it('a name already exposed in the same directory is refused, leaving the first one intact', async () => {
    const before = await snapshot({ paths: [tmp] });
    const stack = new CleanupStack();
    try {
      const src = new PatternSource(MiB);
      await exposeSource(src, { tmpdir: tmp, name: 'twice', stack });
      const size = stack.size;
      await expect(exposeSource(src, { tmpdir: tmp, name: 'twice', stack })).rejects.toThrow(/EEXIST/);
      expect(stack.size).toBe(size);
      await expect(exposeSource(src, { tmpdir: tmp, name: '../escape', stack })).rejects.toThrow(/bad name/);
    } finally {
      await stack[Symbol.asyncDispose]();
    }
    await expectNoLeftovers(before);
  });
});

/** The reaper of the next joot, on the sessions recorded under `runDir`. */
async function reapIn(runDir: string): Promise<number> {
  const was = process.env.JOOT_RUN_DIR;
  process.env.JOOT_RUN_DIR = runDir;
  try {
    return await reapDeadSessions();
  } finally {
    if (was === undefined) delete process.env.JOOT_RUN_DIR;
    else process.env.JOOT_RUN_DIR = was;
  }
}
