// Helpers of the userspace LVM tests: an image's partitions as byte sources (from sfdisk's own
// report of the table, not from joot's readers), with canonical names.
import { FileSource, SliceSource, type ByteSource } from '../../src/disk/source.js';
import { run } from '../../src/core/run.js';
import type { LvmDevice } from '../../src/disk/volumes/lvm/index.js';

export const MiB = 1024 * 1024;

interface SfdiskJson {
  partitiontable: { sectorsize?: number; partitions?: { node: string; start: number; size: number }[] };
}

/** The partitions of `image` as devices named /dev/sdX1…, plus the whole disk first. */
export async function partitionDevices(image: string, disk = '/dev/sda'): Promise<{ devices: LvmDevice[]; sources: ByteSource[] }> {
  const file = await FileSource.open(image);
  const r = await run('sfdisk', ['--json', image], { allowFailure: true });
  const devices: LvmDevice[] = [{ name: disk, source: file }];
  if (r.exitCode === 0) {
    const t = (JSON.parse(r.stdout) as SfdiskJson).partitiontable;
    const ss = t.sectorsize ?? 512;
    for (const p of t.partitions ?? []) {
      const n = /(\d+)$/.exec(p.node)![1];
      devices.push({ name: `${disk}${n}`, source: new SliceSource(file, p.start * ss, p.size * ss, `${disk}${n}`) });
    }
  }
  return { devices, sources: [file] };
}

/** An ext2/3/4 superblock's label and UUID, read through `src` (the test's own reading). */
export async function ext4Facts(src: ByteSource): Promise<{ label: string; uuid: string } | undefined> {
  const sb = await src.read(1024, 1024);
  if (sb.readUInt16LE(0x38) !== 0xef53) return undefined;
  const label = sb.toString('utf8', 0x78, 0x88).replace(/\0+$/, '');
  const u = sb.subarray(0x68, 0x78).toString('hex');
  return { label, uuid: `${u.slice(0, 8)}-${u.slice(8, 12)}-${u.slice(12, 16)}-${u.slice(16, 20)}-${u.slice(20)}` };
}

/** The pattern test/fixtures/recipes/lvm-layouts.sh writes: block k of LV NAME is "VG/NAME block k\n" repeated. */
export function layoutPattern(vg: string, lv: string, offset: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const pos = offset + done;
    const k = Math.floor(pos / 512);
    const line = `${vg}/${lv} block ${k}\n`;
    const block = Buffer.from(line.repeat(Math.ceil(512 / line.length)).slice(0, 512), 'latin1');
    const from = pos % 512;
    const n = Math.min(512 - from, length - done);
    block.copy(out, done, from, from + n);
    done += n;
  }
  return out;
}
