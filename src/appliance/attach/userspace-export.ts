// A volume decoded in userspace (an md array, an opened LUKS volume, an LV that needs
// device-mapper) handed to the kernel path as a read-only block device, on a host that lacks
// the kernel facility: joot's NBD server (in this process) → nbdfuse (a FUSE file) → a
// read-only loop device. The kernel's reads of that device come back into this process
// through nbdfuse, so nothing may block this process while the device is in use:
// - no synchronous call that touches the device or a filesystem mounted from it (a sync
//   `mount`, readFileSync of a guest file): the server could never answer;
// - the server's own reads must not need libuv's thread pool, which this process's async
//   reads of the device park in the kernel (four by default; 16 parallel guest file reads
//   deadlocked the process before): FileSource reads are synchronous while a volume is
//   exposed (holdSyncFileReads). A layer that reads through the pool by itself (async zlib,
//   async crypto) must not be served here.
// Every command here (and whatever mounts the device) runs through the async `run`.
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JootError } from '../../core/errors.js';
import { isMountpoint } from '../../core/mountinfo.js';
import { run } from '../../core/run.js';
import { holdSyncFileReads, type ByteSource } from '../../disk/source.js';
import { type NbdServer, serveNbd } from '../../disk/nbd/server.js';
import type { CleanupStack } from '../cleanup.js';
import { helperMessage, startHelper } from '../helper.js';
import { attachLoop } from './loop.js';

export interface ExposeOptions {
  /** a private directory of the session (0700): the socket and the FUSE file live below it */
  tmpdir: string;
  /** a short file-name-safe name for this volume (unique in tmpdir) */
  name: string;
  stack: CleanupStack;
  /** the kernel facility this host lacks, named in the error a write gets (default: device-mapper) */
  missing?: string;
}

/** host device → the error a write to it gets */
const exposed = new Map<string, JootError>();

/**
 * Expose `src` as a read-only host block device (a loop device); everything acquired is on
 * `stack`, released in reverse: the loop device, nbdfuse, the server, the files.
 */
export async function exposeSource(src: ByteSource, opts: ExposeOptions): Promise<string> {
  if (!/^[\w.+-]{1,64}$/.test(opts.name)) throw new JootError('EINVAL', `bad name for an exposed volume: ${JSON.stringify(opts.name)}`);
  const { stack } = opts;
  const dir = join(opts.tmpdir, `expose-${opts.name}`);
  await mkdir(dir, { mode: 0o700 });
  stack.push({ kind: 'dir', path: dir }, () => rm(dir, { recursive: true, force: true }));

  const socket = join(dir, 'sock');
  const release = holdSyncFileReads();
  let server: NbdServer;
  try {
    server = await serveNbd(src, socket);
  } catch (e) {
    release();
    throw e;
  }
  // recorded as the socket: a reaper of a dead session removes it (the server died with it)
  stack.push({ kind: 'dir', path: socket }, async () => {
    await server.close();
    release();
  });

  const file = join(dir, 'volume');
  const pidFile = join(dir, 'nbdfuse.pid');
  await writeFile(file, '', { mode: 0o600 }); // nbdfuse mounts over an existing regular file
  // after nbdfuse is stopped (it unmounts on SIGTERM): a mount a killed nbdfuse left behind
  stack.push({ kind: 'mount', path: file }, async () => {
    if (await isMountpoint(file)) await run('umount', ['-l', file], { allowFailure: true });
  });
  await startHelper('nbdfuse', 'nbdfuse', ['--readonly', '--pidfile', pidFile, file, '--unix', socket], {
    stack,
    // the pid file is written once the export is connected and the file is mounted
    ready: async () => (await stat(pidFile).catch(() => undefined))?.isFile() === true,
    failure: (stderr, exitCode) =>
      new JootError('ECMD', `${src.name}: cannot expose the volume: nbdfuse: ${helperMessage(stderr, 'nbdfuse')}`, {
        command: ['nbdfuse'],
        exitCode,
        stderr,
      }),
  });
  // The kernel learns the FUSE file's size on its first getattr: a loop device attached before
  // any stat is 0 bytes on Linux 6.1 ("attempt to access beyond end of device", seen in the
  // stock-kernel VM), so stat it first, and check the size it reports.
  const size = (await stat(file)).size;
  if (size !== src.size) throw new JootError('ECMD', `${src.name}: nbdfuse exposes ${size} bytes, not ${src.size}`);
  const device = await attachLoop(file, { readonly: true }, stack);
  exposed.set(device, decodedVolumeReadOnly(src.name, opts.missing ?? 'device-mapper'));
  // first released: the device number is free for others once the loop device is detached
  // (recorded as the pid file, which is all a reaper of a dead session would find of it)
  stack.push({ kind: 'dir', path: pidFile }, async () => {
    exposed.delete(device);
  });
  return device;
}

/**
 * The one refusal of a write to a volume decoded in userspace (`name`: its guest name), naming
 * the kernel facility (`missing`: md, device-mapper) this host lacks to map it writable.
 */
export function decodedVolumeReadOnly(name: string, missing: string): JootError {
  return new JootError('EUNSUPPORTED', `${name}: read-only: this host has no ${missing}, the volume is decoded in userspace`, {
    device: name,
    missing,
  });
}

/**
 * The error a write to `device` gets when it is a userspace-decoded volume exposed read-only
 * (undefined for any other device): a read-write mount or open must fail with this, not with
 * the kernel's "write-protected" (which mount(8) turns into a silent read-only mount).
 */
export function exposedWriteRefusal(device: string): JootError | undefined {
  return exposed.get(device);
}
