// Space, names and images: guestfish's zero-free-space, zerofree, blkdiscard, fstrim, fill,
// fill-pattern, fill-dir, device-index, canonical-device-name, disk-format,
// disk-virtual-size and disk-has-backing-file. Guest paths go through the guest-rooted reader
// and writer; device changes through the layout editor (kernel engine, read-write drive,
// nothing on the device mounted); disk-* read host image files' headers without attaching.
import { constants as fsc, promises as fsp } from 'node:fs';
import { nodeCrypto } from '../../core/lazy-node.js';
import path from 'node:path';
import { probeImage } from '../../appliance/image.js';
import { JootError } from '../../core/errors.js';
import { run } from '../../core/run.js';
import { readHeaderRefs } from '../../disk/containers/image-headers.js';
import { CHUNK, openGuestFileForWrite, writeAt } from '../block-io.js';
import { defineOp, type OpTest, type OpContext } from '../op.js';

const device = { name: 'device', type: 'device' } as const;

/** A tool's last stderr line as a one-line error naming the device. */
async function runTool(tool: string, args: string[], name: string): Promise<void> {
  const r = await run(tool, args, { allowFailure: true });
  if (r.exitCode !== 0) {
    const why =
      r.stderr
        .trim()
        .split('\n')
        .pop()
        ?.replace(new RegExp(`^${tool}:\\s*`), '') || `exit ${r.exitCode}`;
    throw new JootError('ECMD', `${tool} ${name}: ${why.split(args[args.length - 1]!).join(name)}`);
  }
}

/**
 * The host directory of a mounted guest directory, for tools that take a directory (fstrim)
 * and for zero-free-space: resolved inside the guest, refused in a read-only session.
 */
async function hostDirOf(ctx: OpContext, dir: string): Promise<string> {
  await ctx.session.writer.hostPathForWrite(dir); // refuses a read-only session, names a missing one
  const host = await ctx.session.reader.resolve(dir);
  const st = await fsp.lstat(host);
  if (!st.isDirectory()) throw new JootError('EINVAL', `${dir}: Not a directory`);
  return host;
}

export const zeroFreeSpace = defineOp({
  name: 'zero-free-space',
  group: 'filesystems',
  args: [{ name: 'directory', type: 'path' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'turn the free space of a mounted filesystem into zeroes',
  description: `Fill the free space of the filesystem mounted at directory with zeroes (a temporary file in
    directory, written until the filesystem is full, then removed): what was deleted is gone and the
    image compresses well. Its files are untouched. See also fstrim.`,
  async impl(ctx, [dir]) {
    const host = await hostDirOf(ctx, dir);
    const zeroes = Buffer.alloc(CHUNK);
    const file = path.join(host, `.jfish-zero-free-space-${nodeCrypto().randomBytes(6).toString('hex')}`);
    const fh = await fsp.open(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
    try {
      for (let at = 0; ; at += CHUNK) {
        try {
          const { bytesWritten } = await fh.write(zeroes, 0, CHUNK, at);
          if (bytesWritten < CHUNK) break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOSPC' || code === 'EFBIG' || code === 'EDQUOT') break;
          throw new JootError('EIO', `${dir}: writing zeroes: ${(e as Error).message}`);
        }
      }
      await fh.sync();
    } finally {
      await fh.close().catch(() => undefined);
      await fsp.unlink(file).catch(() => undefined);
    }
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { args: ['/'], expect: '', from: 'libguestfs' },
      {
        setup: [['write', '/f', 'kept']],
        args: ['/'],
        check: { run: ['cat', '/f'], expect: 'kept' },
        title: 'zero-free-space leaves the files alone',
      },
      { readonly: true, args: ['/'], error: /read-only/ },
    ];
  },
});

export const zerofree = defineOp({
  name: 'zerofree',
  group: 'filesystems',
  args: [device],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'zero the unused blocks of an ext2/3/4 filesystem',
  description: `Run zerofree on the unmounted ext2, ext3 or ext4 filesystem on the device: its unused blocks
    become zeroes (the image compresses well). Refused while it is mounted.`,
  async impl(ctx, [dev]) {
    await ctx.session.layout.changeDevice(dev, async (t) => {
      if (!/^ext[234]$/.test(t.fstype ?? ''))
        throw new JootError('EINVAL', `${t.canonical}: zerofree works on ext2, ext3 and ext4 (found ${t.fstype ?? 'no filesystem'})`);
      await runTool('zerofree', [t.host], t.canonical);
    });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'part',
        setup: [
          ['mkfs', 'ext3', '/dev/sda1'],
          ['mount', '/dev/sda1', '/'],
          ['write', '/new', 'test file'],
          ['umount', '/dev/sda1'],
        ],
        args: ['/dev/sda1'],
        check: { run: ['vfs-type', '/dev/sda1'], expect: 'ext3' },
        title: 'zerofree of an unmounted ext3 (libguestfs then mounts it and reads the file back)',
        from: 'libguestfs',
      },
      { args: ['/dev/sda1'], error: /mounted/ },
      { disk: 'part', args: ['/dev/sda1'], error: /zerofree works on ext2, ext3 and ext4/ },
    ];
  },
});

export const blkdiscard = defineOp({
  name: 'blkdiscard',
  group: 'devices',
  args: [device],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'discard every block of a device',
  description: `Discard all the blocks of the device: everything on it is lost and a sparse image gets the space
    back. Refused while anything on it is mounted.`,
  async impl(ctx, [dev]) {
    await ctx.session.layout.changeDevice(dev, (t) => runTool('blkdiscard', [t.host], t.canonical));
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'fs', setup: [['umount-all']], args: ['/dev/sda1'], check: { run: ['vfs-type', '/dev/sda1'], expect: '' } },
      { args: ['/dev/sda1'], error: /mounted/ },
    ];
  },
});

export const fstrim = defineOp({
  name: 'fstrim',
  group: 'filesystems',
  args: [
    { name: 'mountpoint', type: 'path' },
    { name: 'offset', type: 'int64', optional: true, named: true },
    { name: 'length', type: 'int64', optional: true, named: true },
    { name: 'minimumfreeextent', type: 'int64', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'give the free space of a mounted filesystem back to the image',
  description: `Trim the free space of the filesystem mounted at mountpoint (fstrim): a sparse image gets it back.
    offset:, length: and minimumfreeextent: (bytes) limit what is trimmed. Its files are untouched.`,
  async impl(ctx, [mp, offset, length, minimum]) {
    const host = await hostDirOf(ctx, mp);
    const args: string[] = [];
    if (offset !== undefined) args.push('-o', String(offset));
    if (length !== undefined) args.push('-l', String(length));
    if (minimum !== undefined) args.push('-m', String(minimum));
    await runTool('fstrim', [...args, host], mp);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { setup: [['write', '/f', 'kept']], args: ['/'], check: { run: ['cat', '/f'], expect: 'kept' } },
      { args: ['/', 'minimumfreeextent:4096'], expect: '' },
      { args: ['/missing'], error: /\/missing: No such file or directory/ },
    ];
  },
});

async function fillFile(ctx: OpContext, pattern: Buffer, len: number, p: string): Promise<undefined> {
  if (!Number.isInteger(len) || len < 0) throw new JootError('EINVAL', `len: ${len}: must be 0 or more`);
  if (pattern.length === 0) throw new JootError('EINVAL', 'the pattern is empty');
  // one chunk of whole repetitions, written again and again
  const reps = Math.max(1, Math.floor(CHUNK / pattern.length));
  const block = Buffer.alloc(reps * pattern.length);
  for (let i = 0; i < reps; i++) pattern.copy(block, i * pattern.length);
  const fh = await openGuestFileForWrite(ctx.session, p, { truncate: true });
  try {
    for (let at = 0; at < len; at += block.length) await writeAt(fh, block.subarray(0, Math.min(block.length, len - at)), at, p);
  } finally {
    await fh.close().catch(() => undefined);
  }
  return undefined;
}

export const fill = defineOp({
  name: 'fill',
  group: 'files',
  args: [
    { name: 'c', type: 'int' },
    { name: 'len', type: 'int' },
    { name: 'path', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'make a file of len bytes, each c',
  description: `Create (or truncate) the file and write len bytes into it, each the byte c (0 to 255; 0x63 is
    'c'). For a file of zeroes truncate-size is faster (and sparse).`,
  async impl(ctx, [c, len, p]) {
    if (!Number.isInteger(c) || c < 0 || c > 255) throw new JootError('EINVAL', `c: ${c}: must be a byte, 0 to 255`);
    return fillFile(ctx, Buffer.from([c]), len, p);
  },
  get tests(): readonly OpTest[] {
    return [
      { args: ['0x63', '10', '/fill'], check: { run: ['cat', '/fill'], expect: 'cccccccccc' }, from: 'libguestfs' },
      { args: ['0', '3000000', '/big'], check: { run: ['filesize', '/big'], expect: '3000000' } },
      { args: ['256', '1', '/f'], error: /c: 256: must be a byte/ },
    ];
  },
});

export const fillPattern = defineOp({
  name: 'fill-pattern',
  group: 'files',
  args: [
    { name: 'pattern', type: 'string' },
    { name: 'len', type: 'int' },
    { name: 'path', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'make a file of len bytes repeating a pattern',
  description: `Create (or truncate) the file and write len bytes into it: pattern again and again, the last
    one cut short to end at len.`,
  impl: (ctx, [pattern, len, p]) => fillFile(ctx, Buffer.from(pattern), len, p),
  get tests(): readonly OpTest[] {
    return [
      {
        args: ['abcdefghijklmnopqrstuvwxyz', '28', '/fill_pattern'],
        check: { run: ['cat', '/fill_pattern'], expect: 'abcdefghijklmnopqrstuvwxyzab' },
        from: 'libguestfs',
      },
      { args: ['xyz', '0', '/empty'], check: { run: ['filesize', '/empty'], expect: '0' } },
      { args: ['', '5', '/f'], error: /the pattern is empty/ },
    ];
  },
});

export const fillDir = defineOp({
  name: 'fill-dir',
  group: 'files',
  args: [
    { name: 'dir', type: 'path' },
    { name: 'nr', type: 'int' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'make nr empty files in a directory',
  description: `Create nr empty files in the directory, named 00000000, 00000001, … (eight digits): for testing
    filesystems.`,
  async impl(ctx, [dir, nr]) {
    if (!Number.isInteger(nr) || nr < 0 || nr > 99_999_999) throw new JootError('EINVAL', `nr: ${nr}: must be 0 to 99999999`);
    if (!(await ctx.session.isDir(dir))) throw new JootError('EINVAL', `${dir}: Not a directory`);
    const base = dir.endsWith('/') ? dir : `${dir}/`;
    for (let i = 0; i < nr; i++) await ctx.session.writer.write(`${base}${String(i).padStart(8, '0')}`, '');
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { setup: [['mkdir', '/d']], args: ['/d', '3'], check: { run: ['ls', '/d'], expect: '00000000\n00000001\n00000002' } },
      { setup: [['touch', '/f']], args: ['/f', '1'], error: /\/f: Not a directory/ },
    ];
  },
});

// ------------------------------------------------------------------ names

/** /dev/hdX and /dev/vdX (and their partitions) as /dev/sdX; LVs' /dev/mapper names as /dev/VG/LV. */
export function canonicalDeviceName(name: string, lvs: readonly string[]): string {
  const hv = /^\/dev\/[hv]d([a-z]+\d*)$/.exec(name);
  if (hv) return `/dev/sd${hv[1]}`;
  const mapper = /^\/dev\/mapper\/(.+)$/.exec(name);
  if (mapper) {
    // device-mapper doubles a dash inside a VG or LV name
    const esc = (s: string): string => s.replace(/-/g, '--');
    for (const lv of lvs) {
      const m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(lv);
      if (m && `${esc(m[1]!)}-${esc(m[2]!)}` === mapper[1]) return lv;
    }
  }
  return name;
}

export const canonicalDeviceNameOp = defineOp({
  name: 'canonical-device-name',
  group: 'devices',
  args: [{ name: 'device', type: 'string' }],
  returns: 'string',
  needsLaunch: false,
  writes: false,
  summary: 'print the usual spelling of a device name',
  description: `Print the device name as jfish spells it: /dev/hdX and /dev/vdX (and their partitions) become
    /dev/sdX, /dev/mapper/VG-LV of a logical volume becomes /dev/VG/LV (once launched); anything else is
    printed unchanged.`,
  async impl(ctx, [name]) {
    return canonicalDeviceName(name, ctx.session.launched ? ctx.session.lvs() : []);
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'disk', args: ['/dev/hda'], expect: '/dev/sda', from: 'libguestfs' },
      { disk: 'disk', args: ['/dev/vdaaa'], expect: '/dev/sdaaa', from: 'libguestfs' },
      { disk: 'disk', args: ['/dev/sdb'], expect: '/dev/sdb', from: 'libguestfs' },
      { disk: 'lvfs', args: ['/dev/mapper/VG-LV'], expect: '/dev/VG/LV', from: 'libguestfs' },
      { disk: 'disk', args: ['/dev/md0'], expect: '/dev/md0', from: 'libguestfs' },
      { disk: 'disk', args: ['/dev/md127'], expect: '/dev/md127', from: 'libguestfs' },
      { disk: 'disk', args: ['/dev/vda1'], expect: '/dev/sda1' },
    ];
  },
});

export const deviceIndex = defineOp({
  name: 'device-index',
  group: 'devices',
  args: [device],
  returns: 'int',
  needsLaunch: true,
  writes: false,
  summary: 'print the index of a disk among the drives',
  description: `Print the index (from 0) of the whole-disk device among the drives as they were added:
    0 for /dev/sda, 1 for /dev/sdb. A partition or volume is refused.`,
  async impl(ctx, [dev]) {
    const i = ctx.session.listDevices().indexOf(canonicalDeviceName(dev, []));
    if (i < 0) throw new JootError('ENOENT', `${dev}: not a whole-disk device of the session (see list-devices)`);
    return i;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'disk', args: ['/dev/sda'], expect: '0', from: 'libguestfs' },
      { disk: 'part', args: ['/dev/sda1'], error: /\/dev\/sda1: not a whole-disk device/ },
    ];
  },
});

// ------------------------------------------------------------------ host image files

/** A host image file's header facts (the format its magic says, the files it names). */
async function headerFacts(file: string) {
  const st = await fsp.stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new JootError(
      e.code === 'ENOENT' ? 'ENOENT' : 'EIO',
      e.code === 'ENOENT' ? `${file}: No such file or directory` : `${file}: ${e.message}`,
    );
  });
  if (st.isDirectory()) throw new JootError('EINVAL', `${file}: Is a directory`);
  try {
    return await readHeaderRefs(file, undefined);
  } catch (e) {
    throw new JootError('EFORMAT', `${file}: cannot read its header (${(e as Error).message})`);
  }
}

/**
 * libguestfs's blank disks (test-data/blank-disks, made by qemu-img; guestfs-test.iso holds
 * them): name, format, virtual size, backing file. Its tests of disk-format, disk-virtual-size
 * and disk-has-backing-file read each from the host; here each is downloaded from the ISO first.
 */
const BLANK_DISKS: readonly [string, string, number, boolean][] = [
  ['blank-disk-1s.raw', 'raw', 512, false],
  ['blank-disk-1s.qcow2', 'qcow2', 512, false],
  ['blank-disk-1K.raw', 'raw', 1024, false],
  ['blank-disk-1K.qcow2', 'qcow2', 1024, false],
  ['blank-disk-1M.raw', 'raw', 1048576, false],
  ['blank-disk-1M.qcow2', 'qcow2', 1048576, false],
  ['blank-disk-with-backing.qcow2', 'qcow2', 1048576, true],
];

function blankDiskTests(value: (disk: (typeof BLANK_DISKS)[number]) => string): OpTest[] {
  return BLANK_DISKS.map((disk) => {
    const [name, , , backed] = disk;
    // the backing file sits beside its overlay (named relative to it)
    const files = backed ? ['blank-disk-1M.raw', name] : [name];
    return { from: 'libguestfs', disk: 'iso', setup: files.map((f) => ['download', `/${f}`, f]), args: [name], expect: value(disk) };
  });
}

export const diskFormat = defineOp({
  name: 'disk-format',
  group: 'devices',
  args: [{ name: 'filename', type: 'string' }],
  returns: 'string',
  needsLaunch: false,
  writes: false,
  summary: 'print the format of a host image file',
  description: `Print the format of the host image file (raw, qcow2, vmdk, vdi, vhdx, vpc, qed, qcow), read from
    its header; a file without a known header is raw. Nothing is attached.`,
  async impl(_ctx, [file]) {
    const facts = await headerFacts(file);
    return facts.detected ?? facts.parsedAs ?? 'raw';
  },
  get tests(): readonly OpTest[] {
    return [
      ...blankDiskTests(([, format]) => format),
      { disk: 'disk', setup: [['disk-create', 'blank.raw', 'raw', '512']], args: ['blank.raw'], expect: 'raw' },
      { disk: 'disk', setup: [['disk-create', 'blank.qcow2', 'qcow2', '1M']], args: ['blank.qcow2'], expect: 'qcow2' },
      {
        disk: 'disk',
        setup: [
          ['disk-create', 'base.qcow2', 'qcow2', '1M'],
          ['disk-create', 'overlay.qcow2', 'qcow2', '-1', 'backingfile:base.qcow2', 'backingformat:qcow2'],
        ],
        args: ['overlay.qcow2'],
        expect: 'qcow2',
      },
      { disk: 'disk', args: ['missing.img'], error: /missing\.img: No such file or directory/ },
    ];
  },
});

export const diskVirtualSize = defineOp({
  name: 'disk-virtual-size',
  group: 'devices',
  args: [{ name: 'filename', type: 'string' }],
  returns: 'int64',
  needsLaunch: false,
  writes: false,
  summary: 'print the virtual size of a host image file',
  description: `Print the size in bytes of the disk the host image file holds (its virtual size). The files its
    header names are checked as add checks them. Nothing is attached.`,
  async impl(_ctx, [file]) {
    return (await probeImage(file, { readonly: true, check: false })).virtualSize;
  },
  get tests(): readonly OpTest[] {
    return [
      ...blankDiskTests(([, , size]) => String(size)),
      { disk: 'disk', setup: [['disk-create', 'blank.raw', 'raw', '1K']], args: ['blank.raw'], expect: '1024' },
      {
        disk: 'disk',
        setup: [['disk-create', 'blank.qcow2', 'qcow2', '1M']],
        args: ['blank.qcow2'],
        expect: '1048576',
      },
      {
        disk: 'disk',
        setup: [
          ['disk-create', 'base.qcow2', 'qcow2', '1M'],
          ['disk-create', 'overlay.qcow2', 'qcow2', '-1', 'backingfile:base.qcow2', 'backingformat:qcow2'],
        ],
        args: ['overlay.qcow2'],
        expect: '1048576',
      },
    ];
  },
});

export const diskHasBackingFile = defineOp({
  name: 'disk-has-backing-file',
  group: 'devices',
  args: [{ name: 'filename', type: 'string' }],
  returns: 'bool',
  needsLaunch: false,
  writes: false,
  summary: 'print whether a host image file has a backing file',
  description: `Print true if the host image file's header names a backing file (a parent image), else false.
    The backing file is not opened. Nothing is attached.`,
  async impl(_ctx, [file]) {
    const facts = await headerFacts(file);
    // a differencing vhdx, vdi or vpc is refused outright by add: it has a parent all the same
    return facts.refs.some((r) => r.kind === 'backing') || /differencing/i.test(facts.refuse ?? '');
  },
  get tests(): readonly OpTest[] {
    return [
      ...blankDiskTests(([, , , backed]) => String(backed)),
      { disk: 'disk', setup: [['disk-create', 'blank.raw', 'raw', '1M']], args: ['blank.raw'], expect: 'false' },
      { disk: 'disk', setup: [['disk-create', 'blank.qcow2', 'qcow2', '1M']], args: ['blank.qcow2'], expect: 'false' },
      {
        disk: 'disk',
        setup: [
          ['disk-create', 'base.qcow2', 'qcow2', '1M'],
          ['disk-create', 'overlay.qcow2', 'qcow2', '-1', 'backingfile:base.qcow2', 'backingformat:qcow2'],
        ],
        args: ['overlay.qcow2'],
        expect: 'true',
      },
    ];
  },
});

export const records = [
  zeroFreeSpace,
  zerofree,
  blkdiscard,
  fstrim,
  fill,
  fillPattern,
  fillDir,
  canonicalDeviceNameOp,
  deviceIndex,
  diskFormat,
  diskVirtualSize,
  diskHasBackingFile,
] as const;
