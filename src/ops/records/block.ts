// Block devices and files as bytes at offsets: guestfish's pread/pwrite of files and
// devices, the copy-*-to-* family and dd, download-offset and upload-offset. Reads work on both
// engines (devices through Session.openDevice, files through the guest-rooted
// reader); writes to a device need the kernel engine and a read-write drive, and are allowed
// while something on the device is mounted, as in guestfish (block-io.ts, withDeviceWriter).
// Guest files are written through the guest-rooted writer; host files (download-offset,
// upload-offset) are the user's, relative to the current directory, as download and upload.
import { constants as fsc, promises as fsp } from 'node:fs';
import path from 'node:path';
import { JootError } from '../../core/errors.js';
import { defineOp, type OpTest, type OpContext } from '../op.js';
import type { ArgSpec } from '../arg-spec.js';
import {
  CHUNK,
  checkNonNegative,
  isSessionDevice,
  openDeviceReader,
  openFileReader,
  openGuestFileForWrite,
  openReader,
  withDeviceWriter,
  writeAt,
} from '../block-io.js';
import { type CopyOptions, copyToDevice, copyToFile } from '../block-copy.js';

const device = { name: 'device', type: 'device' } as const;

/** guestfish's protocol limit on one pread (its message size): larger reads are refused there too. */
const MAX_PREAD = 4 * 1024 * 1024;

// ------------------------------------------------------------------ pread / pwrite

async function preadOf(
  ctx: OpContext,
  open: () => Promise<{ read(o: number, l: number): Promise<Buffer>; close(): Promise<void> }>,
  count: number,
  offset: number,
) {
  checkNonNegative(offset, 'offset');
  if (!Number.isInteger(count) || count < 0) throw new JootError('EINVAL', `count: ${count}: must be 0 or more`);
  if (count > MAX_PREAD) throw new JootError('EINVAL', `count: ${count}: at most ${MAX_PREAD} bytes in one read (use download-offset)`);
  const src = await open();
  try {
    await ctx.out.write(await src.read(offset, count));
  } finally {
    await src.close();
  }
  return undefined;
}

export const pread = defineOp({
  name: 'pread',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'count', type: 'int' },
    { name: 'offset', type: 'int64' },
  ],
  // guestfish writes the buffer as it is
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'print part of a file',
  description: `Write count bytes of the file from byte offset, exactly (fewer at its end; none past it). At
    most 4 MiB at once, as in guestfish: download-offset has no limit.`,
  impl: (ctx, [p, count, offset]) => preadOf(ctx, () => openFileReader(ctx.session, p), count, offset),
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [['write', '/known-4', 'abc\ndef\nghi']],
        args: ['/known-4', '1', '3'],
        expect: /^\n$/,
        from: 'libguestfs',
      },
      { setup: [['touch', '/empty']], args: ['/empty', '0', '100'], expect: /^$/, from: 'libguestfs' },
      { setup: [['write', '/f', 'hello world']], args: ['/f', '5', '6'], expect: 'world' },
      { setup: [['mkdir', '/d']], args: ['/d', '1', '0'], error: /\/d: Is a directory/ },
      { setup: [['write', '/f', 'x']], args: ['/f', '99999999', '0'], error: /at most 4194304 bytes/ },
    ];
  },
});

export const preadDevice = defineOp({
  name: 'pread-device',
  group: 'devices',
  args: [device, { name: 'count', type: 'int' }, { name: 'offset', type: 'int64' }],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'print part of a device',
  description: `Write count bytes of the device from byte offset, exactly (fewer at its end). At most 4 MiB at
    once, as in guestfish. Both engines.`,
  impl: (ctx, [dev, count, offset]) => preadOf(ctx, () => openDeviceReader(ctx.session, dev), count, offset),
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'iso',
        args: ['/dev/sda', '8', '32768'],
        expect: '\x01CD001\x01\0',
        title: "pread-device: the ISO's primary volume descriptor (sector 16)",
      },
      { disk: 'fs', args: ['/dev/sda', '2', '510'], expect: /^U\ufffd$/, title: 'pread-device: the MBR signature 55 aa' },
      { disk: 'disk', setup: [['pwrite-device', '/dev/sda', 'mark', '9000']], args: ['/dev/sda', '4', '9000'], expect: 'mark' },
      { disk: 'disk', args: ['/dev/sda', '4', '104857598'], expect: '\0\0', title: 'pread-device: fewer bytes at the end' },
    ];
  },
});

export const pwrite = defineOp({
  name: 'pwrite',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'content', type: 'string' },
    { name: 'offset', type: 'int64' },
  ],
  returns: 'int',
  needsLaunch: true,
  writes: true,
  summary: 'write to part of a file',
  description: `Write content into the existing file at byte offset (the file grows if it ends before) and
    print the number of bytes written.`,
  async impl(ctx, [p, content, offset]) {
    checkNonNegative(offset, 'offset');
    const fh = await openGuestFileForWrite(ctx.session, p, { mustExist: true });
    try {
      const b = Buffer.from(content);
      await writeAt(fh, b, offset, p);
      return b.length;
    } finally {
      await fh.close().catch(() => undefined);
    }
  },
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [['write', '/pwrite', 'new file contents']],
        args: ['/pwrite', 'data', '4'],
        expect: '4',
        check: { run: ['cat', '/pwrite'], expect: 'new data contents' },
        from: 'libguestfs',
      },
      {
        setup: [['write', '/pwrite2', 'new file contents']],
        args: ['/pwrite2', 'is extended', '9'],
        check: { run: ['cat', '/pwrite2'], expect: 'new file is extended' },
        from: 'libguestfs',
      },
      {
        setup: [['write', '/pwrite3', 'new file contents']],
        args: ['/pwrite3', '', '4'],
        expect: '0',
        check: { run: ['cat', '/pwrite3'], expect: 'new file contents' },
        from: 'libguestfs',
      },
      { args: ['/missing', 'x', '0'], error: /\/missing: No such file or directory/ },
      { readonly: true, setup: [], args: ['/f', 'x', '0'], error: /read-only/ },
    ];
  },
});

export const pwriteDevice = defineOp({
  name: 'pwrite-device',
  group: 'devices',
  args: [device, { name: 'content', type: 'string' }, { name: 'offset', type: 'int64' }],
  returns: 'int',
  needsLaunch: true,
  writes: true,
  summary: 'write to part of a device',
  description: `Write content onto the device at byte offset and print the number of bytes written. Allowed
    while something on the device is mounted, as in guestfish (boot code before a mounted partition);
    it must fit on the device. Needs the kernel engine.`,
  async impl(ctx, [dev, content, offset]) {
    checkNonNegative(offset, 'offset');
    const b = Buffer.from(content);
    return withDeviceWriter(ctx.session, dev, async (w) => {
      if (offset + b.length > w.size)
        throw new JootError('EINVAL', `${w.name}: ${b.length} bytes at offset ${offset} do not fit (the device has ${w.size} bytes)`);
      await writeAt(w.fh, b, offset, w.name);
      return b.length;
    });
  },
  get tests(): readonly OpTest[] {
    return [
      {
        title: 'pwrite-device: zeroing the MBR partition entries leaves no partition',
        disk: 'part',
        setup: [
          ['pwrite-device', '/dev/sda', '\0'.repeat(64), '446'],
          ['blockdev-rereadpt', '/dev/sda'],
        ],
        args: ['/dev/sda', '', '0'],
        check: { run: ['list-partitions'], expect: '' },
        from: 'libguestfs',
      },
      {
        disk: 'disk',
        args: ['/dev/sda', 'hello', '1000'],
        expect: '5',
        check: { run: ['pread-device', '/dev/sda', '5', '1000'], expect: 'hello' },
      },
      {
        title: 'pwrite-device while a partition of the disk is mounted (boot code)',
        args: ['/dev/sda', 'boot', '0'],
        expect: '4',
        check: { run: ['pread-device', '/dev/sda', '4', '0'], expect: 'boot' },
      },
      { disk: 'disk', args: ['/dev/sda', 'xy', '104857599'], error: /2 bytes at offset 104857599 do not fit/ },
      { disk: 'disk', readonly: true, args: ['/dev/sda', 'x', '0'], error: /read-only/ },
      {
        disk: 'disk',
        setup: [['blockdev-setro', '/dev/sda']],
        args: ['/dev/sda', 'x', '0'],
        error: /\/dev\/sda: .*(read-only|not permitted)/i,
      },
    ];
  },
});

// ------------------------------------------------------------------ copies

const copyOptions = [
  { name: 'srcoffset', type: 'int64', optional: true, named: true },
  { name: 'destoffset', type: 'int64', optional: true, named: true },
  { name: 'size', type: 'int64', optional: true, named: true },
  { name: 'sparse', type: 'bool', optional: true, named: true },
  { name: 'append', type: 'bool', optional: true, named: true },
] as const satisfies readonly ArgSpec[];

type CopyOpt = [number | undefined, number | undefined, number | undefined, boolean | undefined, boolean | undefined];

function opts([srcoffset, destoffset, size, sparse, append]: CopyOpt): CopyOptions {
  return { srcoffset, destoffset, size, sparse, append };
}

const COPY_HELP = `srcoffset: and destoffset: are byte offsets (default 0), size: the bytes to copy (default:
    the rest of the source; the source must hold them). sparse:true skips blocks of zeroes (only right
    where the destination is zero already). A destination file is created if missing and truncated
    first, unless append:true (then the copy goes after its end); append: is refused for a device. A
    destination device must hold the copy; writing one needs the kernel engine.`;

export const copyDeviceToDevice = defineOp({
  name: 'copy-device-to-device',
  group: 'devices',
  args: [{ name: 'src', type: 'device' }, { name: 'dest', type: 'device' }, ...copyOptions],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'copy bytes from a device to a device',
  description: `Copy bytes from the device src to the device dest. ${COPY_HELP}`,
  async impl(ctx, [src, dest, ...o]) {
    const r = await openDeviceReader(ctx.session, src);
    try {
      await copyToDevice(ctx.session, r, src, dest, opts(o));
    } finally {
      await r.close();
    }
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action (copy-file-to-file has them)',
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'bootroot',
        setup: [['umount-all'], ['set-label', '/dev/sda1', 'BOOTLBL']],
        args: ['/dev/sda1', '/dev/sda2', 'size:1048576'],
        check: { run: ['vfs-label', '/dev/sda2'], expect: 'BOOTLBL' },
        title: 'copy-device-to-device of the first MiB carries the ext superblock',
      },
      { disk: 'part', args: ['/dev/sda', '/dev/sda1'], error: /do not fit/ },
      { disk: 'part', args: ['/dev/sda1', '/dev/sda', 'append:true'], error: /append cannot be used with a device/ },
    ];
  },
});

export const copyDeviceToFile = defineOp({
  name: 'copy-device-to-file',
  group: 'devices',
  args: [{ name: 'src', type: 'device' }, { name: 'dest', type: 'path' }, ...copyOptions],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'copy bytes from a device to a guest file',
  description: `Copy bytes from the device src to the guest file dest. ${COPY_HELP}`,
  async impl(ctx, [src, dest, ...o]) {
    const r = await openDeviceReader(ctx.session, src);
    try {
      await copyToFile(ctx.session, r, src, dest, opts(o));
    } finally {
      await r.close();
    }
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action (copy-file-to-file has them)',
  get tests(): readonly OpTest[] {
    return [
      {
        args: ['/dev/sda', '/mbr', 'size:512'],
        check: { run: ['filesize', '/mbr'], expect: '512' },
      },
      { args: ['/dev/sda', '/big', 'srcoffset:104857000', 'size:1000'], error: /only 600 bytes from offset 104857000/ },
    ];
  },
});

export const copyFileToDevice = defineOp({
  name: 'copy-file-to-device',
  group: 'devices',
  args: [{ name: 'src', type: 'path' }, { name: 'dest', type: 'device' }, ...copyOptions],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'copy bytes from a guest file to a device',
  description: `Copy bytes from the guest file src to the device dest (boot code onto /dev/sda, an image onto a
    partition). ${COPY_HELP}`,
  async impl(ctx, [src, dest, ...o]) {
    const r = await openFileReader(ctx.session, src);
    try {
      await copyToDevice(ctx.session, r, src, dest, opts(o));
    } finally {
      await r.close();
    }
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action (copy-file-to-file has them)',
  get tests(): readonly OpTest[] {
    return [
      {
        title: 'copy-file-to-device: boot code from a file of the mounted filesystem onto its disk',
        setup: [['write', '/boot.bin', 'BOOTCODE']],
        args: ['/boot.bin', '/dev/sda', 'size:4', 'srcoffset:4', 'destoffset:16'],
        check: { run: ['pread-device', '/dev/sda', '4', '16'], expect: 'CODE' },
      },
      { setup: [['write', '/f', 'abc']], args: ['/f', '/dev/sda', 'size:4'], error: /\/f: only 3 bytes from offset 0/ },
    ];
  },
});

export const copyFileToFile = defineOp({
  name: 'copy-file-to-file',
  group: 'files',
  args: [{ name: 'src', type: 'path' }, { name: 'dest', type: 'path' }, ...copyOptions],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'copy bytes from a guest file to a guest file',
  description: `Copy bytes from the guest file src to the guest file dest: for blocks inside files (cp, cp-a
    and mv copy files). ${COPY_HELP}`,
  async impl(ctx, [src, dest, ...o]) {
    const r = await openFileReader(ctx.session, src);
    try {
      await copyToFile(ctx.session, r, src, dest, opts(o));
    } finally {
      await r.close();
    }
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [
          ['mkdir', '/copyff'],
          ['write', '/copyff/src', 'hello, world'],
        ],
        args: ['/copyff/src', '/copyff/dest', 'append:false'],
        check: { run: ['cat', '/copyff/dest'], expect: 'hello, world' },
        from: 'libguestfs',
      },
      {
        setup: [
          ['mkdir', '/copyff2'],
          ['fill', '0', '1048576', '/copyff2/src'],
          ['fill', '0', '1048576', '/copyff2/dest'],
        ],
        args: ['/copyff2/src', '/copyff2/dest', 'sparse:true', 'append:false'],
        check: { run: ['pread', '/copyff2/dest', '4', '1048572'], expect: '\0\0\0\0' },
        from: 'libguestfs',
      },
      {
        setup: [
          ['mkdir', '/copyff3'],
          ['write', '/copyff3/src', 'hello, world'],
          ['copy-file-to-file', '/copyff3/src', '/copyff3/dest', 'append:true'],
          ['copy-file-to-file', '/copyff3/src', '/copyff3/dest', 'append:true'],
        ],
        args: ['/copyff3/src', '/copyff3/dest', 'append:true'],
        check: { run: ['cat', '/copyff3/dest'], expect: 'hello, worldhello, worldhello, world' },
        from: 'libguestfs',
      },
      {
        setup: [
          ['write', '/src', 'abcdef'],
          ['write', '/dest', 'xyz'],
        ],
        args: ['/src', '/dest', 'srcoffset:2', 'destoffset:1', 'size:3'],
        check: { run: ['cat', '/dest'], expect: '\0cde' },
      },
      {
        setup: [
          ['write', '/src', 'x'],
          ['mkdir', '/etc'],
          ['write', '/etc/passwd', 'root'],
          ['mkdir', '/d'],
          ['ln-s', '../../../etc/passwd', '/d/l'],
        ],
        args: ['/src', '/d/l'],
        check: { run: ['cat', '/etc/passwd'], expect: 'x' },
        title: 'copy-file-to-file through a guest symlink stays in the guest',
      },
    ];
  },
});

export const dd = defineOp({
  name: 'dd',
  group: 'devices',
  args: [
    { name: 'src', type: 'string' },
    { name: 'dest', type: 'string' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'copy a device or file to a device or file',
  description: `Copy all of src to dest; each is a device of the session (/dev/…) or a guest file. A destination
    file is created or truncated; a destination device must be at least as large as the source.
    (guestfish marks it deprecated in favour of copy-device-to-device and its kin.)`,
  async impl(ctx, [src, dest]) {
    const r = await openReader(ctx.session, src);
    try {
      if (await isSessionDevice(ctx.session, dest)) await copyToDevice(ctx.session, r, src, dest, {});
      else await copyToFile(ctx.session, r, src, dest, {});
    } finally {
      await r.close();
    }
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [
          ['mkdir', '/dd'],
          ['write', '/dd/src', 'hello, world'],
        ],
        args: ['/dd/src', '/dd/dest'],
        check: { run: ['cat', '/dd/dest'], expect: 'hello, world' },
        from: 'libguestfs',
      },
      {
        disk: 'bootroot',
        setup: [['umount-all'], ['set-label', '/dev/sda1', 'BOOTLBL']],
        args: ['/dev/sda1', '/dev/sda2'],
        check: { run: ['vfs-label', '/dev/sda2'], expect: 'BOOTLBL' },
        title: 'dd of a partition onto a larger one',
      },
      { disk: 'bootroot', setup: [['umount-all']], args: ['/dev/sda2', '/dev/sda1'], error: /do not fit/ },
    ];
  },
});

// ------------------------------------------------------------------ host files at offsets

/** 790 bytes of text (md5 61ef5faf8fec1cb879874bca147ee89a) for download-offset's round trip */
const DOWNLOAD_OFFSET_TEXT = Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join('');

export const downloadOffset = defineOp({
  name: 'download-offset',
  group: 'transfer',
  args: [
    { name: 'remotefilename', type: 'string' },
    { name: 'filename', type: 'fileout' },
    { name: 'offset', type: 'int64' },
    { name: 'size', type: 'int64' },
  ],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'download part of a guest file or device to the host',
  description: `Copy size bytes from byte offset of remotefilename (a guest file, or a device of the session) to
    the local file filename (- for standard output), created or truncated. The range must lie within
    the source. Streamed, whatever its size.`,
  async impl(ctx, [remote, local, offset, size]) {
    checkNonNegative(offset, 'offset');
    checkNonNegative(size, 'size');
    const src = await openReader(ctx.session, remote);
    try {
      if (offset + size > src.size)
        throw new JootError('EINVAL', `${remote}: offset ${offset} and size ${size} go beyond its end (${src.size} bytes)`);
      const sink =
        local === '-'
          ? undefined
          : await fsp.open(path.resolve(local), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_NOCTTY, 0o666).catch((e: unknown) => {
              throw new JootError('EIO', `${local}: ${(e as Error).message}`);
            });
      try {
        for (let done = 0; done < size; ) {
          const b = await src.read(offset + done, Math.min(CHUNK, size - done));
          if (b.length === 0) throw new JootError('EIO', `${remote}: unexpected end after ${done} bytes`);
          if (sink) await writeAt(sink, b, done, local);
          else {
            await ctx.out.write(b);
            if (ctx.out.closed) break;
          }
          done += b.length;
        }
      } finally {
        await sink?.close().catch(() => undefined);
      }
    } finally {
      await src.close();
    }
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        // libguestfs uploads its COPYING.LIB; the test's host directory starts empty, so the same
        // round trip (all but the first 100 bytes out, then back in at 100) runs on a file of ours
        from: 'libguestfs',
        setup: [
          ['mkdir', '/download_offset'],
          ['write', '/download_offset/COPYING.LIB', DOWNLOAD_OFFSET_TEXT],
        ],
        args: ['/download_offset/COPYING.LIB', 'testdownload.tmp', '100', String(DOWNLOAD_OFFSET_TEXT.length - 100)],
        after: [['upload-offset', 'testdownload.tmp', '/download_offset/COPYING.LIB', '100']],
        check: { run: ['checksum', 'md5', '/download_offset/COPYING.LIB'], expect: '61ef5faf8fec1cb879874bca147ee89a' },
      },
      { setup: [['write', '/f', 'hello, world']], args: ['/f', '-', '7', '5'], expect: 'world' },
      {
        title: 'download-offset then upload-offset put a file back together',
        setup: [
          ['write', '/f', 'hello, world'],
          ['download-offset', '/f', 'part.bin', '3', '9'],
          ['write', '/f', 'hel'],
        ],
        args: ['/f', '-', '0', '3'],
        expect: 'hel',
        check: { run: ['upload-offset', 'part.bin', '/f', '3'], expect: '' },
      },
      { disk: 'disk', setup: [['pwrite-device', '/dev/sda', 'abc', '512']], args: ['/dev/sda', '-', '513', '2'], expect: 'bc' },
      { setup: [['write', '/f', 'abc']], args: ['/f', '-', '2', '2'], error: /\/f: offset 2 and size 2 go beyond its end \(3 bytes\)/ },
    ];
  },
});

export const uploadOffset = defineOp({
  name: 'upload-offset',
  group: 'transfer',
  args: [
    { name: 'filename', type: 'filein' },
    { name: 'remotefilename', type: 'string' },
    { name: 'offset', type: 'int64' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'upload a host file into part of a guest file or device',
  description: `Write the local file filename (- for standard input) into remotefilename (a guest file, or a
    device of the session) from byte offset, overwriting what is there; a missing guest file is
    created (with a hole before offset). A device must hold it all. Streamed, whatever its size.`,
  async impl(ctx, [local, remote, offset]) {
    checkNonNegative(offset, 'offset');
    let src: AsyncIterable<Buffer | string>;
    let fh: fsp.FileHandle | undefined;
    if (local === '-') src = ctx.stdin as AsyncIterable<Buffer | string>;
    else {
      fh = await fsp.open(path.resolve(local), fsc.O_RDONLY | fsc.O_NOCTTY).catch((e: unknown) => {
        const code = (e as NodeJS.ErrnoException).code;
        throw new JootError(
          code === 'ENOENT' ? 'ENOENT' : 'EIO',
          code === 'ENOENT' ? `${local}: No such file or directory` : `${local}: ${(e as Error).message}`,
        );
      });
      if ((await fh.stat()).isDirectory()) {
        await fh.close();
        throw new JootError('EINVAL', `${local}: Is a directory`);
      }
      src = fh.createReadStream({ highWaterMark: CHUNK, autoClose: false });
    }
    try {
      const pumpInto = async (write: (b: Buffer, at: number) => Promise<void>): Promise<void> => {
        let at = offset;
        for await (const c of src) {
          const b = typeof c === 'string' ? Buffer.from(c) : c;
          await write(b, at);
          at += b.length;
        }
      };
      if (await isSessionDevice(ctx.session, remote)) {
        await withDeviceWriter(ctx.session, remote, (w) =>
          pumpInto(async (b, at) => {
            if (at + b.length > w.size) throw new JootError('EINVAL', `${w.name}: the upload goes beyond its end (${w.size} bytes)`);
            await writeAt(w.fh, b, at, w.name);
          }),
        );
      } else {
        const dst = await openGuestFileForWrite(ctx.session, remote);
        try {
          await pumpInto((b, at) => writeAt(dst, b, at, remote));
        } finally {
          await dst.close().catch(() => undefined);
        }
      }
    } finally {
      await fh?.close().catch(() => undefined);
    }
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        title: 'upload-offset of a host file at offset 0 (a new guest file)',
        args: ['/proc/sys/kernel/ostype', '/upload_offset', '0'],
        check: { run: ['cat', '/upload_offset'], expect: 'Linux\n' },
        from: 'libguestfs',
      },
      {
        setup: [['write', '/f', 'hello, world']],
        args: ['/proc/sys/kernel/ostype', '/f', '7'],
        check: { run: ['cat', '/f'], expect: 'hello, Linux\n' },
      },
      {
        disk: 'disk',
        args: ['/proc/sys/kernel/ostype', '/dev/sda', '4096'],
        check: { run: ['pread-device', '/dev/sda', '5', '4096'], expect: 'Linux' },
      },
      { args: ['missing.bin', '/f', '0'], error: /missing\.bin: No such file or directory/ },
    ];
  },
});

export const records = [
  pread,
  preadDevice,
  pwrite,
  pwriteDevice,
  copyDeviceToDevice,
  copyDeviceToFile,
  copyFileToDevice,
  copyFileToFile,
  dd,
  downloadOffset,
  uploadOffset,
] as const;
