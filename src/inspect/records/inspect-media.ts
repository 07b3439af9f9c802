// guestfish's inspection commands about the medium and its look: inspect-get-format,
// inspect-is-live, inspect-is-netinst, inspect-is-multipart (install-disk facts libguestfs
// dropped in 1.38: it answers "installed" and false for every root, and so does jfish, whose
// inspect-os finds installed systems only) and inspect-get-icon (src/inspect/icon.ts).
import { nodeZlib } from '../../core/lazy-node.js';
import { guestBytes } from '../../ops/guest-bytes.js';
import { defineOp, type OpTest, type ReturnValue, type Returns } from '../../ops/op.js';
import { crc32 } from '../../disk/crc32.js';
import { findIcon } from '../icon.js';
import { osOf } from './inspect.js';

const INSPECTED = [['umount-all'], ['inspect-os']];
const DROPPED =
  'libguestfs has no test for it: the action is deprecated, and since libguestfs 1.38 it answers the same for every root (install disks are no longer detected)';

function mediumOp<const N extends string, const R extends Returns>(
  name: N,
  returns: R,
  value: ReturnValue<R>,
  summary: string,
  what: string,
) {
  return defineOp({
    name,
    group: 'inspection',
    args: [{ name: 'root', type: 'mountable' }],
    returns,
    needsLaunch: true,
    writes: false,
    summary,
    description: `${what} libguestfs stopped telling install disks, live CDs and network installers apart
      in 1.38 and has answered the same for every root since; jfish's inspect-os finds installed
      systems only (an install ISO is no root), so the answer is always the same here too. The
      root is one printed by inspect-os, which must have run first. Deprecated in guestfish.`,
    async impl(ctx, [root]) {
      osOf(ctx, root); // the same errors as the other inspect-get-* for a root inspect-os did not print
      return value;
    },
    guestfishDiffers: DROPPED,
    get tests(): readonly OpTest[] {
      return [
        { disk: 'sample', setup: INSPECTED, args: ['/dev/sda2'], expect: String(value) },
        { disk: 'sample', setup: INSPECTED, args: ['/dev/sda1'], error: /^\/dev\/sda1: root device not found/ },
        { args: ['/dev/sda1'], error: /^no inspection data: call inspect-os first$/, title: 'before inspect-os' },
      ];
    },
  });
}

export const getFormat = mediumOp(
  'inspect-get-format',
  'string',
  'installed',
  'print the format of an operating system (installed)',
  'Print "installed".',
);
export const isLive = mediumOp('inspect-is-live', 'bool', false, 'print whether a root is a live CD (false)', 'Print false.');
export const isNetinst = mediumOp(
  'inspect-is-netinst',
  'bool',
  false,
  'print whether a root is a network installer (false)',
  'Print false.',
);
export const isMultipart = mediumOp(
  'inspect-is-multipart',
  'bool',
  false,
  'print whether a root is one disk of several (false)',
  'Print false.',
);

/** A 16×16 greyscale PNG carrying `note` in a tEXt chunk (so a test can tell two icons apart). */
export function tinyPng(note: string): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(16, 0);
  ihdr.writeUInt32BE(16, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (greyscale), no interlace
  const rows = Buffer.alloc(16 * 17, 0x80);
  for (let r = 0; r < 16; r++) rows[r * 17] = 0; // filter byte of each row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from(`Comment\0${note}`, 'latin1')),
    chunk('IDAT', nodeZlib().deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const MOUNTED = [...INSPECTED, ['mount', '/dev/sda2', '/']];
const LOGO = () => [['mkdir-p', '/usr/share/pixmaps'], ...guestBytes('/usr/share/pixmaps/debian-logo.png', tinyPng('debian logo'))];
const FAVICON = () => guestBytes('/etc/favicon.png', tinyPng('favicon'));

export const getIcon = defineOp({
  name: 'inspect-get-icon',
  group: 'inspection',
  args: [
    { name: 'root', type: 'mountable' },
    { name: 'favicon', type: 'bool', optional: true, named: true },
    { name: 'highquality', type: 'bool', optional: true, named: true },
  ],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: "print an operating system's icon (PNG bytes)",
  description: `Print the icon of the operating system as PNG bytes, as guestfish prints a buffer (nothing when
    there is none, which is not an error). It is read from the mounted filesystems, so inspect-os
    must have run and the root's filesystems must be mounted (as inspect-get-mountpoints says).
    With favicon:true (the default) /etc/favicon.png is taken first; highquality:true asks for a
    high-quality icon only (no favicon, and not Ubuntu's small logo). Then the distribution's logo
    at the path libguestfs knows: Fedora, RHEL and its clones (CentOS, Scientific, Oracle),
    Debian, Ubuntu, Mageia, openSUSE/SLES, Void and ALT Linux. Only PNG files of 16 to 1024 pixels
    each way, within libguestfs's size limit for that logo, are icons. libguestfs also renders
    Cirros's text logo and cuts Windows's out of explorer.exe with netpbm and wrestool: jfish runs
    no such tools on guest data, so those have no icon.`,
  async impl(ctx, [root, favicon, highquality]) {
    const icon = await findIcon(ctx.session.reader, osOf(ctx, root), { favicon, highquality });
    if (icon) await ctx.out.write(icon);
    return undefined;
  },
  guestfishDiffers:
    "libguestfs has no per-action test for inspect-get-icon; jfish's tests put logo files on its Debian fixture. No Windows or Cirros icons (they need wrestool / netpbm on guest data)",
  get tests(): readonly OpTest[] {
    return [
      { disk: 'sample', setup: MOUNTED, args: ['/dev/sda2'], expect: '', title: 'no logo file: no icon, no error' },
      {
        disk: 'sample',
        setup: [...MOUNTED, ...LOGO()],
        args: ['/dev/sda2'],
        expect: /PNG\r\n\x1a\n[\s\S]*debian logo/,
        title: "Debian's logo",
      },
      {
        disk: 'sample',
        setup: [...MOUNTED, ...LOGO(), ...FAVICON()],
        args: ['/dev/sda2'],
        expect: /Comment\0favicon/,
        title: 'the favicon first',
      },
      {
        disk: 'sample',
        setup: [...MOUNTED, ...LOGO(), ...FAVICON()],
        args: ['/dev/sda2', 'favicon:false'],
        expect: /Comment\0debian logo/,
        title: 'favicon:false skips it',
      },
      {
        disk: 'sample',
        setup: [...MOUNTED, ...LOGO(), ...FAVICON()],
        args: ['/dev/sda2', 'highquality:true'],
        expect: /Comment\0debian logo/,
        title: 'highquality:true skips the favicon',
      },
      {
        disk: 'sample',
        setup: [...MOUNTED, ['mkdir-p', '/usr/share/pixmaps'], ['write', '/usr/share/pixmaps/debian-logo.png', 'not a png']],
        args: ['/dev/sda2'],
        expect: '',
        title: 'a logo file that is no PNG',
      },
      { disk: 'win10', setup: [...INSPECTED, ['mount', '/dev/sda1', '/']], args: ['/dev/sda1'], expect: '', title: 'Windows: none' },
      { args: ['/dev/sda1'], error: /^no inspection data: call inspect-os first$/, title: 'before inspect-os' },
    ];
  },
});

export const records = [getFormat, isLive, isNetinst, isMultipart, getIcon] as const;
