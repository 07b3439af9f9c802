// sparse: a new sparse raw image, added as the next drive. A shell command, not a library
// operation (as in libguestfs, where it is guestfish's): it adds to jfish's session holder.
import { JootError } from '../../../core/errors.js';
import { parseSize } from '../../../core/numbers.js';
import { qemuImgCreate, refuseExisting } from '../../../ops/image-files.js';
import { defineCommand } from '../command.js';

export const sparse = defineCommand({
  name: 'sparse',
  group: 'devices',
  args: [
    { name: 'filename', type: 'string' },
    { name: 'size', type: 'string' },
  ],
  needsLaunch: false,
  writes: true,
  summary: 'create a sparse raw disk image and add it',
  description: `Create a new, sparse raw image file of the given size (suffixes allowed: 100M, 10G) on the host
    and add it as the next drive, as add does: use it before run.`,
  async run(ctx, [file, size]) {
    if (ctx.session.launched) throw new JootError('ESTATE', 'drives must be added before run');
    if (ctx.readonly) throw new JootError('EINVAL', 'cannot add a new disk to a read-only (--ro) session');
    const bytes = parseSize(size, 'size');
    refuseExisting(file);
    await qemuImgCreate(file, 'raw', bytes, []);
    ctx.sessions.addDrive(file, { format: 'raw', readonly: false });
  },
});

export const commands = [sparse];
