// More of guestfish's part-* commands: part-resize, part-expand-gpt, part-to-dev,
// part-to-partnum, and the GPT identifiers (partition GUID, attribute bits, disk GUID).
// Reads parse the table from the disk's bytes (src/disk/volumes: both engines, every
// attribute bit exact); changes run sfdisk or sgdisk on the disk through the layout editor
// (kernel engine, read-write drive, nothing on the disk mounted), which finds the partitions
// again afterwards.
import { JootError } from '../../core/errors.js';
import { run } from '../../core/run.js';
import { readPartitionTable, type PartitionTable } from '../../disk/volumes/partitions.js';
import { SECTOR } from '../../disk/volumes/table.js';
import { defineOp, type OpTest, type OpContext } from '../op.js';

const disk = { name: 'device', type: 'device' } as const;
const partnum = { name: 'partnum', type: 'int' } as const;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The partition table of a whole disk, read from its bytes. */
async function tableOf(ctx: OpContext, dev: string): Promise<PartitionTable> {
  if (!ctx.session.listDevices().includes(dev)) {
    await ctx.session.layout.blockdevGetsize64(dev); // an unknown name says so
    throw new JootError('EINVAL', `${dev}: not a whole disk (give /dev/sdX)`);
  }
  const src = await ctx.session.openDevice(dev);
  try {
    const t = await readPartitionTable(src);
    if (!t) throw new JootError('EINVAL', `${dev}: no partition table`);
    return t;
  } finally {
    await src.close();
  }
}

async function gptOf(ctx: OpContext, dev: string, what: string): Promise<PartitionTable> {
  const t = await tableOf(ctx, dev);
  if (t.scheme !== 'gpt') throw new JootError('EINVAL', `${dev}: ${what} exist only on GPT disks`);
  return t;
}

function partitionOf(t: PartitionTable, dev: string, n: number) {
  const p = t.partitions.find((x) => x.number === n);
  if (!p) throw new JootError('ENOENT', `${dev}: partition ${n} does not exist`);
  return p;
}

/** Run a partitioning tool on the disk's host device; its last error line, naming the disk. */
async function editDisk(ctx: OpContext, dev: string, tool: string, args: (host: string) => string[], input?: string): Promise<void> {
  await ctx.session.layout.changeDisk(dev, async (t) => {
    const r = await run(tool, args(t.host), { allowFailure: true, input });
    if (r.exitCode !== 0) {
      const lines = `${r.stderr}\n${r.stdout}`
        .split('\n')
        .map((l) => l.replace(/^(sfdisk|sgdisk):\s*/, '').trim())
        .filter((l) => l && !/^(Warning|The (new table|operation|kernel)|run partprobe)/i.test(l));
      throw new JootError('ECMD', `${t.canonical}: ${(lines.pop() ?? `${tool} exit ${r.exitCode}`).split(t.host).join(t.canonical)}`);
    }
  });
}

function checkGuid(guid: string): string {
  if (!GUID.test(guid)) throw new JootError('EINVAL', `${guid}: not a GUID (like 01234567-89AB-CDEF-0123-456789ABCDEF)`);
  return guid.toUpperCase();
}

export const partResize = defineOp({
  name: 'part-resize',
  group: 'devices',
  args: [disk, partnum, { name: 'endsect', type: 'int64' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'move the end of a partition',
  description: `Move the end of partition partnum to sector endsect (inclusive; 512-byte sectors; a negative one
    counts back from the end of the disk, -1 being its last sector, as parted does), its start unchanged. The filesystem in it is
    not resized: grow it after growing the partition, shrink it before shrinking it.`,
  async impl(ctx, [dev, n, endsect]) {
    const t = await tableOf(ctx, dev);
    const p = partitionOf(t, dev, n);
    const start = p.start / SECTOR;
    // as parted: a negative end counts from the end of the disk (not of the usable area)
    const end = endsect < 0 ? Math.floor(Number(await ctx.session.layout.blockdevGetsize64(dev)) / SECTOR) + endsect : endsect;
    if (!Number.isSafeInteger(end) || end < start)
      throw new JootError('EINVAL', `${dev}: end sector ${end} is before the partition's start (${start})`);
    if (end > t.lastLba) throw new JootError('EINVAL', `${dev}: end sector ${end} is beyond the last usable sector ${t.lastLba}`);
    await editDisk(
      ctx,
      dev,
      'sfdisk',
      (host) => ['--no-reread', '--no-tell-kernel', '--lock=no', '-q', '-N', String(n), host],
      `, ${end - start + 1}\n`,
    );
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'disk',
        setup: [
          ['part-init', '/dev/sda', 'mbr'],
          ['part-add', '/dev/sda', 'primary', '1', '-1025'],
        ],
        args: ['/dev/sda', '1', '-1'],
        check: { run: ['part-list', '/dev/sda'], expect: /part_end: 104857599\n/ },
        from: 'libguestfs',
      },
      {
        disk: 'part',
        args: ['/dev/sda', '1', '4095'],
        check: { run: ['part-list', '/dev/sda'], expect: /part_end: 2097151\n/ },
      },
      { disk: 'part', args: ['/dev/sda', '1', '100'], error: /end sector 100 is before the partition's start \(128\)/ },
      { disk: 'part', args: ['/dev/sda', '2', '-1'], error: /partition 2 does not exist/ },
    ];
  },
});

export const partExpandGpt = defineOp({
  name: 'part-expand-gpt',
  group: 'devices',
  args: [disk],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'move the backup GPT to the end of a grown disk',
  description: `Move the backup GPT header and entries to the end of the disk (sgdisk -e), after the image was
    made larger: the space after the old backup becomes usable.`,
  async impl(ctx, [dev]) {
    await gptOf(ctx, dev, 'backup GPT headers');
    await editDisk(ctx, dev, 'sgdisk', (host) => ['-e', host]);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part:100M:gpt', args: ['/dev/sda'], check: { run: ['part-get-parttype', '/dev/sda'], expect: 'gpt' } },
      { disk: 'part', args: ['/dev/sda'], error: /exist only on GPT disks/ },
    ];
  },
});

/** A partition's disk and number, from the session's partitions (it must exist). */
function partitionInfo(ctx: OpContext, name: string): { disk: string; number: number } {
  const p = ctx.session.partitions().find((x) => x.name === name);
  if (!p) throw new JootError('EINVAL', `${name}: not a partition (see list-partitions)`);
  return { disk: p.disk, number: p.number };
}

export const partToDev = defineOp({
  name: 'part-to-dev',
  group: 'devices',
  args: [{ name: 'partition', type: 'device' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the disk a partition is on',
  description: `Print the whole-disk device of the partition: /dev/sdb for /dev/sdb1. The partition must exist.`,
  async impl(ctx, [part]) {
    return partitionInfo(ctx, part).disk;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part', args: ['/dev/sda1'], expect: '/dev/sda', from: 'libguestfs' },
      { disk: 'disk', args: ['/dev/sda'], error: /\/dev\/sda: not a partition/, from: 'libguestfs' },
    ];
  },
});

export const partToPartnum = defineOp({
  name: 'part-to-partnum',
  group: 'devices',
  args: [{ name: 'partition', type: 'device' }],
  returns: 'int',
  needsLaunch: true,
  writes: false,
  summary: 'print the number of a partition',
  description: `Print the number of the partition on its disk: 1 for /dev/sdb1. The partition must exist.`,
  async impl(ctx, [part]) {
    return partitionInfo(ctx, part).number;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part', args: ['/dev/sda1'], expect: '1', from: 'libguestfs' },
      { disk: 'disk', args: ['/dev/sda'], error: /\/dev\/sda: not a partition/, from: 'libguestfs' },
    ];
  },
});

export const partGetGptGuid = defineOp({
  name: 'part-get-gpt-guid',
  group: 'devices',
  args: [disk, partnum],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the unique GUID of a GPT partition',
  description: `Print the unique GUID of GPT partition partnum (not its type: see part-get-gpt-type).`,
  async impl(ctx, [dev, n]) {
    return partitionOf(await gptOf(ctx, dev, 'partition GUIDs'), dev, n).uuid ?? '';
  },
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'part:100M:gpt',
        setup: [['part-set-gpt-guid', '/dev/sda', '1', '01234567-89AB-CDEF-0123-456789ABCDEF']],
        args: ['/dev/sda', '1'],
        expect: '01234567-89AB-CDEF-0123-456789ABCDEF',
        from: 'libguestfs',
      },
      { disk: 'part', args: ['/dev/sda', '1'], error: /exist only on GPT disks/ },
    ];
  },
});

export const partSetGptGuid = defineOp({
  name: 'part-set-gpt-guid',
  group: 'devices',
  args: [disk, partnum, { name: 'guid', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the unique GUID of a GPT partition',
  description: `Set the unique GUID of GPT partition partnum to guid.`,
  async impl(ctx, [dev, n, guid]) {
    const g = checkGuid(guid);
    partitionOf(await gptOf(ctx, dev, 'partition GUIDs'), dev, n);
    await editDisk(ctx, dev, 'sgdisk', (host) => [`--partition-guid=${n}:${g}`, host]);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part:100M:gpt', args: ['/dev/sda', '1', 'f'], error: /f: not a GUID/, from: 'libguestfs' },
      {
        disk: 'part:100M:gpt',
        args: ['/dev/sda', '1', '01234567-89ab-cdef-0123-456789abcdef'],
        check: { run: ['part-get-gpt-guid', '/dev/sda', '1'], expect: '01234567-89AB-CDEF-0123-456789ABCDEF' },
        from: 'libguestfs',
      },
    ];
  },
});

export const partGetGptAttributes = defineOp({
  name: 'part-get-gpt-attributes',
  group: 'devices',
  args: [disk, partnum],
  returns: 'int64',
  needsLaunch: true,
  writes: false,
  summary: 'print the attribute bits of a GPT partition',
  description: `Print the 64 attribute bits of GPT partition partnum as a number (bit 0: required partition,
    bit 2: legacy BIOS bootable, bits 48-63: for the partition type).`,
  async impl(ctx, [dev, n]) {
    return partitionOf(await gptOf(ctx, dev, 'partition attributes'), dev, n).attrBits ?? 0n;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'part:100M:gpt',
        setup: [['part-set-gpt-attributes', '/dev/sda', '1', '0']],
        args: ['/dev/sda', '1'],
        expect: '0',
        from: 'libguestfs',
      },
      {
        disk: 'part:100M:gpt',
        setup: [['part-set-bootable', '/dev/sda', '1', 'true']],
        args: ['/dev/sda', '1'],
        expect: '4',
      },
    ];
  },
});

export const partSetGptAttributes = defineOp({
  name: 'part-set-gpt-attributes',
  group: 'devices',
  args: [disk, partnum, { name: 'attributes', type: 'int64' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the attribute bits of a GPT partition',
  description: `Set the attribute bits of GPT partition partnum to attributes (all 64 of them, as a number: 4 is
    legacy BIOS bootable alone).`,
  async impl(ctx, [dev, n, attrs]) {
    if (!Number.isSafeInteger(attrs) || attrs < 0) throw new JootError('EINVAL', `attributes: ${attrs}: must be 0 or more`);
    partitionOf(await gptOf(ctx, dev, 'partition attributes'), dev, n);
    await editDisk(ctx, dev, 'sgdisk', (host) => [`--attributes=${n}:=:${attrs.toString(16)}`, host]);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'part:100M:gpt',
        args: ['/dev/sda', '1', '4'],
        check: { run: ['part-get-gpt-attributes', '/dev/sda', '1'], expect: '4' },
        from: 'libguestfs',
      },
      {
        disk: 'part:100M:gpt',
        args: ['/dev/sda', '1', '1125899906842625'],
        check: { run: ['part-get-gpt-attributes', '/dev/sda', '1'], expect: '1125899906842625' },
        title: 'part-set-gpt-attributes: bit 50 and bit 0',
      },
      { disk: 'part', args: ['/dev/sda', '1', '4'], error: /exist only on GPT disks/ },
    ];
  },
});

export const partGetDiskGuid = defineOp({
  name: 'part-get-disk-guid',
  group: 'devices',
  args: [disk],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the GUID of a GPT disk',
  description: `Print the disk GUID of a GPT-partitioned disk.`,
  async impl(ctx, [dev]) {
    return (await gptOf(ctx, dev, 'disk GUIDs')).id ?? '';
  },
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'part:100M:gpt',
        setup: [['part-set-disk-guid', '/dev/sda', '01234567-89AB-CDEF-0123-456789ABCDEF']],
        args: ['/dev/sda'],
        expect: '01234567-89AB-CDEF-0123-456789ABCDEF',
        from: 'libguestfs',
      },
    ];
  },
});

export const partSetDiskGuid = defineOp({
  name: 'part-set-disk-guid',
  group: 'devices',
  args: [disk, { name: 'guid', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the GUID of a GPT disk',
  description: `Set the disk GUID of a GPT-partitioned disk to guid.`,
  async impl(ctx, [dev, guid]) {
    const g = checkGuid(guid);
    await gptOf(ctx, dev, 'disk GUIDs');
    await editDisk(ctx, dev, 'sgdisk', (host) => [`--disk-guid=${g}`, host]);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part:100M:gpt', args: ['/dev/sda', 'f'], error: /f: not a GUID/, from: 'libguestfs' },
      {
        disk: 'part:100M:gpt',
        args: ['/dev/sda', '01234567-89AB-CDEF-0123-456789ABCDEF'],
        check: { run: ['part-get-disk-guid', '/dev/sda'], expect: '01234567-89AB-CDEF-0123-456789ABCDEF' },
        from: 'libguestfs',
      },
    ];
  },
});

export const records = [
  partResize,
  partExpandGpt,
  partToDev,
  partToPartnum,
  partGetGptGuid,
  partSetGptGuid,
  partGetGptAttributes,
  partSetGptAttributes,
  partGetDiskGuid,
  partSetDiskGuid,
] as const;
