// Kernel NBD, where the host has it: qemu-nbd connects the image chain to /dev/nbdN and
// the kernel scans its partitions. Used when /dev/nbd0 exists (not on this CI host).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JootError } from '../../core/errors.js';
import { factsOf, run, retryWhileBusy, sleep, type Runner } from '../../core/run.js';
import { imageInUse } from '../qemu-lock.js';
import { processStart } from '../registry.js';
import { settle } from '../udev.js';
import { stopHostArrays } from '../host-md.js';
import type { ImageInfo } from '../image.js';
import { chainOptions } from './qemu-options.js';
import type { AttachBackend, AttachContext, AttachedDisk } from './backend.js';

export function hostHasNbd(): boolean {
  return existsSync('/dev/nbd0') && existsSync('/sys/block/nbd0');
}

/** A /dev/nbdN with no server attached (no pid, size 0). */
export function findFreeNbd(): string {
  for (let i = 0; existsSync(`/sys/block/nbd${i}`); i++) {
    const sys = `/sys/block/nbd${i}`;
    if (existsSync(join(sys, 'pid'))) continue;
    if (readFileSync(join(sys, 'size'), 'utf8').trim() !== '0') continue;
    return `/dev/nbd${i}`;
  }
  throw new JootError('EBUSY', 'no free /dev/nbdN device (all are connected)');
}

/**
 * qemu-nbd's own server socket goes into the session's directory: its default,
 * /var/lock/qemu-nbd-DEVICE, needs a /run/lock that minimal hosts and containers lack
 * ("Failed to bind socket", seen in the stock-kernel VM), and is shared by every user of DEVICE.
 */
export function qemuNbdConnectArgs(image: ImageInfo, device: string, pidFile: string, readonly: boolean, socket: string): string[] {
  const args = [
    `--connect=${device}`,
    `--socket=${socket}`,
    '--image-opts',
    chainOptions(image.chain, readonly).join(','),
    '--fork',
    `--pid-file=${pidFile}`,
    '--cache=writeback',
  ];
  if (readonly) args.push('--read-only');
  return args;
}

export interface NbdDeps {
  runner: Runner;
  findFree: () => string;
  readPid: (pidFile: string) => number;
}

const defaultDeps: NbdDeps = {
  runner: run,
  findFree: findFreeNbd,
  readPid: (f) => Number(readFileSync(f, 'utf8').trim()),
};

export function makeNbdBackend(deps: NbdDeps = defaultDeps): AttachBackend {
  return {
    name: 'nbd',
    async attach(image: ImageInfo, ctx: AttachContext): Promise<AttachedDisk> {
      const pidFile = join(ctx.tmpdir, `nbd${ctx.index}.pid`);
      let device = '';
      // Another process may grab the same free device between our look and qemu-nbd's
      // connect: qemu-nbd then fails, and we try the next one.
      for (let attempt = 0; ; attempt++) {
        device = deps.findFree();
        const socket = join(ctx.tmpdir, `nbd${ctx.index}.sock`);
        const r = await deps.runner('qemu-nbd', qemuNbdConnectArgs(image, device, pidFile, ctx.readonly, socket), {
          allowFailure: true,
          shielded: true,
        });
        if (r.exitCode === 0) break;
        const msg = r.stderr.trim().split('\n').pop() ?? '';
        const detail = msg.replace(/^qemu-nbd:\s*/, '');
        const busy = imageInUse(image.given, detail, factsOf(r));
        if (busy) throw busy;
        if (attempt >= 3 || !/busy|Device or resource/i.test(msg)) {
          throw new JootError('EFORMAT', `${image.given}: cannot open image: ${detail}`, factsOf(r));
        }
        await sleep(20);
      }
      const pid = deps.readPid(pidFile);
      ctx.stack.push({ kind: 'helper', name: 'qemu-nbd', pid, start: processStart(pid) ?? '' }, async () => {
        // qemu-nbd exits once disconnected; nothing more to do unless it hangs
        for (let i = 0; i < 100 && processStart(pid) !== undefined; i++) await sleep(10);
      });
      ctx.stack.push({ kind: 'nbd', device }, () => disconnectNbd(device, deps.runner));
      await rereadPartitions(device, deps.runner);
      return { device, backend: 'nbd', kernelPartitions: true };
    },
  };
}

/** blockdev --rereadpt, retried while udev's blkid still holds the device, then settle. */
export async function rereadPartitions(device: string, runner: Runner = run): Promise<void> {
  await settle(runner);
  await retryWhileBusy(() => runner('blockdev', ['--rereadpt', device]), `blockdev --rereadpt ${device}`);
  await settle(runner);
}

export async function disconnectNbd(device: string, runner: Runner = run): Promise<void> {
  await stopHostArrays(device, runner);
  await settle(runner);
  await retryWhileBusy(() => runner('qemu-nbd', ['--disconnect', device], { shielded: true }), `qemu-nbd --disconnect ${device}`);
}

export const nbdBackend = makeNbdBackend();
