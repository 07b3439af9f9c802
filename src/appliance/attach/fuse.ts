// Userspace path for hosts without kernel NBD: qemu-storage-daemon opens the image chain
// and exports it as a FUSE file; a loop device on that file gives the kernel a block device.
import { writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { JootError } from '../../core/errors.js';
import { startHelper, helperMessage } from '../helper.js';
import { imageInUse } from '../qemu-lock.js';
import type { ImageInfo } from '../image.js';
import { attachLoop } from './loop.js';
import { chainOptions } from './qemu-options.js';
import type { AttachBackend, AttachContext, AttachedDisk } from './backend.js';

export function qsdArgs(image: ImageInfo, exportFile: string, pidFile: string, readonly: boolean): string[] {
  return [
    '--blockdev',
    ['node-name=disk', ...chainOptions(image.chain, readonly)].join(','),
    '--export',
    `type=fuse,id=disk,node-name=disk,mountpoint=${exportFile.replace(/,/g, ',,')},writable=${readonly ? 'off' : 'on'}`,
    '--pidfile',
    pidFile,
  ];
}

export function refusal(image: ImageInfo, stderr: string, exitCode?: number): JootError {
  const msg = helperMessage(stderr, 'qemu-storage-daemon');
  const facts = { command: ['qemu-storage-daemon'], exitCode, stderr };
  return imageInUse(image.given, msg, facts) ?? new JootError('EFORMAT', `${image.given}: cannot open image: ${msg}`, facts);
}

export const fuseBackend: AttachBackend = {
  name: 'fuse',
  async attach(image: ImageInfo, ctx: AttachContext): Promise<AttachedDisk> {
    const exportFile = join(ctx.tmpdir, `disk${ctx.index}`);
    const pidFile = join(ctx.tmpdir, `disk${ctx.index}.pid`);
    await writeFile(exportFile, ''); // FUSE exports mount over an existing regular file
    await startHelper('qemu-storage-daemon', 'qemu-storage-daemon', qsdArgs(image, exportFile, pidFile, ctx.readonly), {
      stack: ctx.stack,
      // the pid file is written only after every export is up
      ready: async () => (await stat(pidFile).catch(() => undefined))?.isFile() === true,
      failure: (stderr, exitCode) => refusal(image, stderr, exitCode),
    });
    const device = await attachLoop(exportFile, { readonly: ctx.readonly, partscan: true }, ctx.stack);
    return { device, backend: 'fuse', kernelPartitions: false };
  },
};
