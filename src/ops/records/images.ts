// New image files on the host: disk-create, with qemu-img. An existing file is never
// overwritten. (sparse, which also adds the image as a drive, is jfish's: commands/sparse.ts.)
import { existsSync } from 'node:fs';
import { JootError } from '../../core/errors.js';
import { parseSize } from '../../core/numbers.js';
import { IMAGE_FORMATS as FORMATS, qemuImgCreate, refuseExisting } from '../image-files.js';
import { defineOp, type OpTest } from '../op.js';

export const diskCreate = defineOp({
  name: 'disk-create',
  group: 'devices',
  args: [
    { name: 'filename', type: 'string' },
    { name: 'format', type: 'string' },
    { name: 'size', type: 'string' },
    { name: 'backingfile', type: 'string', optional: true, named: true },
    { name: 'backingformat', type: 'string', optional: true, named: true },
    { name: 'preallocation', type: 'string', optional: true, named: true },
    { name: 'compat', type: 'string', optional: true, named: true },
    { name: 'clustersize', type: 'int', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: false,
  writes: true,
  summary: 'create a new disk image file',
  description: `Create a new image file on the host: format raw, qcow2, vmdk, vdi, vhdx or vpc, of the given
    size (suffixes allowed; -1 with backingfile: the backing file's size). backingfile: and
    backingformat: make a copy-on-write overlay (qcow2); preallocation: off, metadata, falloc or
    full; compat: and clustersize: for qcow2. It is not added: use add.`,
  async impl(_ctx, [file, format, size, backingfile, backingformat, preallocation, compat, clustersize]) {
    if (!FORMATS.includes(format)) throw new JootError('EINVAL', `${format}: unsupported format (use ${FORMATS.join(', ')})`);
    const bytes = size === '-1' ? undefined : parseSize(size, 'size');
    if (bytes === undefined && !backingfile)
      throw new JootError('EINVAL', 'size -1 needs backingfile: (the size is then the backing file’s)');
    if (backingformat && !backingfile) throw new JootError('EINVAL', 'backingformat: goes with backingfile:');
    if (backingfile && !backingformat)
      throw new JootError('EINVAL', 'backingfile: needs backingformat: too (a backing file is never probed)');
    if (backingfile && !existsSync(backingfile)) throw new JootError('ENOENT', `${backingfile}: No such file`);
    if (preallocation && !['off', 'metadata', 'falloc', 'full', 'sparse'].includes(preallocation)) {
      throw new JootError('EINVAL', `preallocation:${preallocation}: use off, metadata, falloc or full`);
    }
    refuseExisting(file);
    const o: string[] = [];
    if (preallocation) o.push(`preallocation=${preallocation === 'sparse' ? 'off' : preallocation}`);
    if (compat) o.push(`compat=${compat}`);
    if (clustersize !== undefined) o.push(`cluster_size=${clustersize}`);
    await qemuImgCreate(file, format, bytes, o, backingfile ? { file: backingfile, format: backingformat! } : undefined);
    return undefined;
  },
  // relative host paths: the test runner gives each test a fresh working directory
  guestfishDiffers: 'libguestfs tests disk_create in its tests/create directory, not with a per-action test',
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'disk',
        args: ['base.qcow2', 'qcow2', '10M', 'compat:1.1', 'clustersize:65536'],
        check: { run: ['disk-create', 'overlay.qcow2', 'qcow2', '-1', 'backingfile:base.qcow2', 'backingformat:qcow2'], expect: '' },
      },
      { disk: 'disk', args: ['x.img', 'iso', '10M'], error: /iso: unsupported format/ },
      { disk: 'disk', args: ['x.img', 'qcow2', '-1'], error: /size -1 needs backingfile/ },
      { disk: 'disk', args: ['x.img', 'qcow2', '10M', 'backingformat:raw'], error: /backingformat: goes with backingfile/ },
      { disk: 'disk', args: ['x.img', 'raw', '10M', 'preallocation:some'], error: /preallocation:some: use off/ },
      { disk: 'disk', args: ['/etc', 'raw', '10M'], error: /\/etc: exists already/ },
    ];
  },
});

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [diskCreate] as const;
