// The kernel NBD backend cannot run on this CI host (no /dev/nbd*): check the command
// sequence it issues against a recording runner instead.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeNbdBackend, qemuNbdConnectArgs } from '../../src/appliance/attach/nbd.js';
import { CleanupStack } from '../../src/appliance/cleanup.js';
import type { RunOptions, RunResult } from '../../src/core/run.js';
import type { ImageInfo } from '../../src/appliance/image.js';

const image: ImageInfo = {
  given: 'disk.qcow2',
  chain: [
    { path: '/img/disk.qcow2', format: 'qcow2' },
    { path: '/img/base,1.raw', format: 'raw' },
  ],
  format: 'qcow2',
  virtualSize: 1 << 30,
  isBlockDevice: false,
};

function recorder(script: (cmd: string, args: readonly string[]) => Partial<RunResult> | undefined = () => undefined) {
  const calls: string[] = [];
  const runner = async (cmd: string, args: readonly string[], _o?: RunOptions): Promise<RunResult> => {
    calls.push([cmd, ...args].join(' '));
    const r = { command: cmd, exitCode: 0, stdout: '', stderr: '', ...script(cmd, args) };
    if (r.exitCode !== 0 && !_o?.allowFailure) throw new Error(`${cmd} failed: ${r.stderr}`);
    return r;
  };
  return { calls, runner };
}

describe('nbd backend command sequence', () => {
  it('names every layer explicitly and connects read-only', () => {
    const args = qemuNbdConnectArgs(image, '/dev/nbd3', '/tmp/p', true, '/tmp/s.sock');
    expect(args).toContain('--connect=/dev/nbd3');
    // its server socket in the session's directory, not /var/lock (absent on minimal hosts)
    expect(args).toContain('--socket=/tmp/s.sock');
    expect(args).toContain('--read-only');
    const opts = args[args.indexOf('--image-opts') + 1]!;
    expect(opts).toBe(
      'driver=qcow2,file.driver=file,file.filename=/img/disk.qcow2,read-only=on,backing.driver=raw,backing.file.driver=file,backing.file.filename=/img/base,,1.raw',
    );
  });

  it('connects, re-reads partitions, and disconnects on release', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nbd-unit-'));
    try {
      const { calls, runner } = recorder();
      const backend = makeNbdBackend({ runner, findFree: () => '/dev/nbd0', readPid: () => 999999 });
      const stack = new CleanupStack();
      const disk = await backend.attach(image, { stack, tmpdir: dir, readonly: false, index: 0 });
      expect(disk).toEqual({ device: '/dev/nbd0', backend: 'nbd', kernelPartitions: true });
      expect(calls[0]).toMatch(/^qemu-nbd --connect=\/dev\/nbd0 --socket=\S+\/nbd0\.sock --image-opts driver=qcow2,.*read-only=off/);
      expect(calls[0]).not.toContain('--read-only');
      expect(calls.slice(1)).toEqual(['blockdev --rereadpt /dev/nbd0']);
      await stack[Symbol.asyncDispose]();
      expect(calls.at(-1)).toBe('qemu-nbd --disconnect /dev/nbd0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('retries the re-read while the device is busy', async () => {
    let busy = 2;
    const { calls, runner } = recorder((cmd) =>
      cmd === 'blockdev' && busy-- > 0 ? { exitCode: 1, stderr: 'blockdev: ioctl error on BLKRRPART: Device or resource busy' } : undefined,
    );
    const backend = makeNbdBackend({ runner, findFree: () => '/dev/nbd1', readPid: () => 999999 });
    const stack = new CleanupStack();
    await backend.attach(image, { stack, tmpdir: '/nonexistent', readonly: true, index: 0 });
    expect(calls.filter((c) => c.startsWith('blockdev')).length).toBe(3);
    await stack[Symbol.asyncDispose]();
  });

  it('reports a locked image as busy', async () => {
    const { runner } = recorder((cmd) =>
      cmd === 'qemu-nbd' ? { exitCode: 1, stderr: 'qemu-nbd: Failed to get "write" lock\n' } : undefined,
    );
    const backend = makeNbdBackend({ runner, findFree: () => '/dev/nbd0', readPid: () => 1 });
    const stack = new CleanupStack();
    await expect(backend.attach(image, { stack, tmpdir: '/x', readonly: false, index: 0 })).rejects.toMatchObject({
      code: 'EBUSY',
      message: expect.stringContaining('disk.qcow2: in use'),
    });
    expect(stack.size).toBe(0);
  });
});
