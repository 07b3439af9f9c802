// Mounting guest filesystems on the host, hardened: never suid or device nodes, no exec
// unless asked, and on a read-only session no journal replay (the block device is
// read-only, and the image's bytes must not change). Filesystems the kernel lacks go
// through their FUSE drivers.
import { JootError } from '../core/errors.js';
import { isMountpoint, mounts } from '../core/mountinfo.js';
import { run, sleep } from '../core/run.js';
import { startHelper, helperMessage } from './helper.js';
import type { CleanupStack } from './cleanup.js';
import { exposedWriteRefusal } from './attach/userspace-export.js';
import { kernelFilesystems } from './kernel-fs.js';
import { btrfsDeviceOptions, forgetBtrfsDevices } from './filesystems.js';

export interface FsMountOptions {
  vfstype: string;
  /** mount read-only */
  readonly: boolean;
  /** the block device itself is read-only: journals must not be replayed */
  deviceReadonly: boolean;
  /** caller's extra options (guestfish mount-options) */
  options?: string;
  exec?: boolean;
  /** btrfs subvolume id: subvolumes are mounted by id, never by their (guest-chosen) name */
  subvolid?: number;
  /** btrfs over several devices: the host devices of its other members (device=) */
  btrfsDevices?: readonly string[];
}

// Options a caller may not use to loosen the hardening.
const FORBIDDEN = new Set(['suid', 'dev', 'remount', 'bind', 'rbind', 'move', 'loop']);

/** Options that stop each filesystem from writing a dirty log on a read-only mount. */
function noReplay(vfstype: string): string[] {
  switch (vfstype) {
    case 'ext3':
    case 'ext4':
      return ['noload'];
    case 'xfs':
      return ['norecovery'];
    case 'btrfs':
      return ['rescue=nologreplay'];
    default:
      return [];
  }
}

export function mountOptions(o: FsMountOptions): string[] {
  const user = (o.options ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const u of user) {
    const key = u.split('=')[0]!;
    if (FORBIDDEN.has(key) || (key === 'exec' && !o.exec))
      throw new JootError('EPERM', `mount option '${u}' is not allowed (guest filesystems are always nosuid,nodev)`);
    if (key === 'rw' && o.readonly) throw new JootError('EINVAL', `mount option 'rw' on a read-only mount`);
  }
  const opts = [...user];
  if (o.subvolid !== undefined) {
    if (!Number.isSafeInteger(o.subvolid) || o.subvolid < 5) throw new JootError('EINVAL', `bad btrfs subvolume id ${o.subvolid}`);
    opts.push(`subvolid=${o.subvolid}`);
  }
  if (o.btrfsDevices?.length) opts.push(...btrfsDeviceOptions(o.btrfsDevices));
  if (o.readonly) opts.push('ro');
  if (o.readonly && o.deviceReadonly) opts.push(...noReplay(o.vfstype));
  // The host kernel mounts one XFS per UUID, and guest disks are often clones of one another
  // (two cloned VMs' disks, two sessions on copies of one image): libguestfs never meets this,
  // each appliance has its own kernel.
  if (o.vfstype === 'xfs' && !opts.includes('nouuid')) opts.push('nouuid');
  // last, so nothing before can loosen them
  opts.push('nosuid', 'nodev', o.exec ? 'exec' : 'noexec');
  return opts;
}

// ext2 and ext3 are served by the ext4 driver, which alone accepts noload
function kernelType(vfstype: string, known: Set<string>): string {
  if ((vfstype === 'ext2' || vfstype === 'ext3') && !known.has(vfstype)) return 'ext4';
  return vfstype;
}

export async function umountPath(path: string): Promise<void> {
  for (let i = 0; ; i++) {
    const r = await run('umount', [path], { allowFailure: true, shielded: true });
    if (r.exitCode === 0 || !(await isMountpoint(path))) return;
    if (i >= 20 || !/busy/i.test(r.stderr)) {
      // something on the host still uses it: detach lazily so the session can finish
      await run('umount', ['-l', path], { shielded: true });
      return;
    }
    await sleep(50);
  }
}

/** Mount `device` (host path) at `target` (host path) and register the unmount. */
export async function mountFs(device: string, target: string, o: FsMountOptions, stack: CleanupStack): Promise<void> {
  // a volume decoded in userspace is read-only: the kernel would silently mount it read-only
  const refusal = o.readonly ? undefined : exposedWriteRefusal(device);
  if (refusal) throw refusal;
  // loaded or loadable: mount(2) loads the module (a stock host has no vfat or isofs loaded)
  const known = kernelFilesystems();
  const opts = mountOptions(o);
  if (o.vfstype === 'ntfs' || o.vfstype === 'ntfs3') {
    await mountFuse('ntfs-3g', ['-o', [...opts, 'no_detach'].join(','), device, target], target, stack);
  } else if ((o.vfstype === 'vfat' || o.vfstype === 'msdos') && !known.has('vfat')) {
    // fusefat refuses to start without either `ro` or `rw+` (its write support is experimental),
    // and (libfuse 2) refuses a non-empty mountpoint unless told `nonempty`: guest directories
    // such as /boot/efi may hold files, and kernel mounts (and ntfs-3g) cover them too
    const fopts = (o.readonly ? opts : opts.concat(['rw+'])).concat(['nonempty']);
    await mountFuse('fusefat', ['-f', '-o', fopts.join(','), device, target], target, stack);
  } else {
    const type = kernelType(o.vfstype, known);
    if (!known.has(type))
      throw new JootError('EUNSUPPORTED', `this host cannot mount ${o.vfstype} filesystems (no kernel driver or FUSE driver)`);
    // a mount registers a multi-device btrfs's members with the kernel, also one that fails
    const members = type === 'btrfs' ? [device, ...(o.btrfsDevices ?? [])] : [];
    try {
      await mountKernel(['-t', type, '-o', opts.join(','), device, target], device);
    } catch (e) {
      await forgetBtrfsDevices(members);
      throw e;
    }
    stack.push({ kind: 'mount', path: target }, async () => {
      await umountPath(target);
      await forgetBtrfsDevices(members);
    });
  }
}

/** How long a mount waits out another namespace's copy of the device's earlier mount. */
const COPY_WAIT_MS = 3000;

/**
 * mount(8) `args`. "Already mounted" for a device that is mounted nowhere in this namespace
 * means a copy of its earlier mount lives on in another namespace, unshared while it was
 * mounted (a tool starting through `unshare --mount` drops its copies within a moment, see
 * inherited-mounts.ts): its filesystem stays active, and a mount with other flags (read-only
 * after read-write) is refused until the copy goes. So it is tried again for a while.
 */
async function mountKernel(args: string[], device: string): Promise<void> {
  for (const t0 = Date.now(); ; ) {
    try {
      await run('mount', args, { shielded: true });
      return;
    } catch (e) {
      const copied =
        e instanceof JootError &&
        /already mounted/.test(e.stderr ?? '') &&
        Date.now() - t0 < COPY_WAIT_MS &&
        !(await mounts()).some((m) => m.source === device);
      if (!copied) throw e;
      await sleep(100);
    }
  }
}

/** FUSE drivers run in the foreground as our child: they die with us even after SIGKILL. */
async function mountFuse(prog: string, args: string[], target: string, stack: CleanupStack): Promise<void> {
  const helper = await startHelper(prog, prog, args, {
    stack,
    ready: () => isMountpoint(target),
    failure: (stderr) => new JootError('ECMD', `${prog}: ${helperMessage(stderr, prog)}`),
  });
  stack.push({ kind: 'mount', path: target }, async () => {
    await umountPath(target);
    // The driver exits once its mount is gone — unless a copy of the mount lives on in another
    // mount namespace (one unshared while this was mounted, e.g. another tool started through
    // `unshare --mount`): then it would serve that copy for as long as that namespace lives, and
    // close would wait as long. Give it a moment, then stop it.
    const exited = await Promise.race([helper.exited.then(() => true), sleep(FUSE_EXIT_GRACE_MS).then(() => false)]);
    if (!exited) await helper.stop();
  });
}

const FUSE_EXIT_GRACE_MS = 1000;
