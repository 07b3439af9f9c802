// guestfish's mount-loop: a filesystem image that is a file inside the guest, mounted as a
// filesystem (Session.mountLoop: a loop device on the kernel engine, an in-process reader on
// the userspace engine).
import { defineOp, type OpTest } from '../op.js';

const DISK = 'bootroot:ext2:ext2:100M:8M';
/** /boot.img: a copy of the 8 MiB /boot filesystem holding /hello. */
const IMAGE = [
  ['write', '/boot/hello', 'from the loop\n'],
  ['umount', '/boot'],
  ['copy-device-to-file', '/dev/sda1', '/boot.img'],
  ['mkdir', '/mnt'],
];

export const mountLoop = defineOp({
  name: 'mount-loop',
  group: 'mount',
  args: [
    { name: 'file', type: 'path' },
    { name: 'mountpoint', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'mount a filesystem image that is a file in the guest',
  description: `Mount the filesystem in the guest file file (a disk image of one filesystem, not a
    partitioned disk) on the guest directory mountpoint. The file is found inside the guest (its
    symlinks cannot lead out of it). On the kernel engine it goes through a loop device on the
    file, read-write unless the drive or the filesystem holding the file is read-only; on the
    userspace engine an in-process reader reads it, read-only. mounts lists it under the file's
    name; umount (or umount-all, which unmounts it before the filesystem holding the file)
    releases it, and so does the end of the session.`,
  async impl(ctx, [file, mountpoint]) {
    await ctx.session.mountLoop(file, mountpoint);
    return undefined;
  },
  guestfishDiffers: "libguestfs has no test for mount-loop; jfish's tests loop-mount a copy of a /boot filesystem",
  get tests(): readonly OpTest[] {
    return [
      { disk: DISK, setup: IMAGE, args: ['/boot.img', '/mnt'], check: { run: ['cat', '/mnt/hello'], expect: 'from the loop\n' } },
      {
        disk: DISK,
        setup: IMAGE,
        args: ['/boot.img', '/mnt'],
        after: [['umount', '/mnt']],
        check: { run: ['mounts'], expect: '/dev/sda2' },
        title: 'umount releases it',
      },
      {
        disk: DISK,
        setup: [...IMAGE, ['mount-loop', '/boot.img', '/mnt'], ['write', '/mnt/new', 'x']],
        args: ['/boot.img', '/mnt'],
        error: /^\/mnt: something is already mounted there$/,
        title: 'written through the loop, and mounted once',
      },
      { disk: DISK, setup: [['mkdir', '/mnt']], args: ['/nope.img', '/mnt'], error: /nope\.img/ },
      {
        disk: DISK,
        setup: [
          ['write', '/t', 'just text\n'],
          ['mkdir', '/mnt'],
        ],
        args: ['/t', '/mnt'],
        error: /^\/t: no filesystem found$/,
      },
    ];
  },
});

export const records = [mountLoop] as const;
