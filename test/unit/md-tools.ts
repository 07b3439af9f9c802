// Helpers of the md tests (disk-md*.test.ts): crafted copies of members, GPT partitions of a
// fixture disk, checksums, mdadm's superblock checksum — all computed here, not by joot.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MdDevice } from '../../src/disk/volumes/md/index.js';
import { type ByteSource, checkRange, SliceSource } from '../../src/disk/source.js';

/** A source with some bytes replaced (a crafted copy of a member, made in memory). */
export class PatchedSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly base: ByteSource,
    readonly name: string,
    private readonly patches: { at: number; bytes: Buffer }[],
  ) {
    this.size = base.size;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    const buf = await this.base.read(offset, length);
    for (const p of this.patches) {
      const from = Math.max(offset, p.at);
      const to = Math.min(offset + length, p.at + p.bytes.length);
      if (from < to) p.bytes.copy(buf, from - offset, from - p.at, to - p.at);
    }
    return buf;
  }
  async close(): Promise<void> {}
}

/** The partitions of a GPT disk, read here from the entries (LBA 2, 128 bytes each). */
export async function gptPartitions(disk: ByteSource, base: string): Promise<MdDevice[]> {
  const hdr = await disk.read(512, 512);
  const count = hdr.readUInt32LE(80);
  const size = hdr.readUInt32LE(84);
  const entries = await disk.read(Number(hdr.readBigUInt64LE(72)) * 512, count * size);
  const out: MdDevice[] = [];
  for (let i = 0; i < count; i++) {
    const e = entries.subarray(i * size, (i + 1) * size);
    if (e.subarray(0, 16).every((b) => b === 0)) continue;
    const first = Number(e.readBigUInt64LE(32));
    const last = Number(e.readBigUInt64LE(40));
    const name = `${base}${i + 1}`;
    out.push({ name, source: new SliceSource(disk, first * 512, (last - first + 1) * 512, name) });
  }
  return out;
}

export async function sha256(src: ByteSource): Promise<string> {
  const h = createHash('sha256');
  const step = 1024 * 1024;
  for (let o = 0; o < src.size; o += step) h.update(await src.read(o, Math.min(step, src.size - o)));
  return h.digest('hex');
}

/** mdadm's superblock checksum, computed here independently: 32-bit LE words summed, folded. */
export function fixChecksum(sb: Buffer, v090: boolean): void {
  const length = v090 ? 4096 : 256 + 2 * sb.readUInt32LE(220);
  const at = v090 ? 38 * 4 : 216;
  sb.writeUInt32LE(0, at);
  let sum = 0n;
  for (let i = 0; i + 4 <= Math.min(length, sb.length); i += 4) sum += BigInt(sb.readUInt32LE(i));
  sb.writeUInt32LE(Number(((sum & 0xffffffffn) + (sum >> 32n)) & 0xffffffffn), at);
}

/** md.facts.json's md-detail uuid of each array, by its mdadm name (r1, r5, …; the 0.90 array: 125). */
export function mdUuidsByName(factsFile: string): Record<string, string> {
  const facts = JSON.parse(readFileSync(factsFile, 'utf8')) as { 'md-detail': Record<string, [string, string][]> };
  const out: Record<string, string> = {};
  for (const d of Object.values(facts['md-detail'])) {
    const m = new Map(d);
    out[m.get('devname') as string] = m.get('uuid') as string;
  }
  return out;
}

/**
 * A Linux guest root for md-a/b/c (an 8 MiB ext4 made by mkfs.ext4 -d, labelled mdguest) in
 * `dir`/root.img, whose /etc/fstab names the arrays the guest's ways (/dev/md0, /dev/md/home,
 * /dev/md/r10, /dev/md/125, by-id md-uuid) and whose /etc/mdadm/mdadm.conf names some of them.
 */
export function makeMdGuestRoot(dir: string, uuid: Record<string, string>): string {
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'etc/mdadm'), { recursive: true });
  mkdirSync(join(tree, 'bin'));
  writeFileSync(join(tree, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nNAME="Debian GNU/Linux"\n');
  // the UUIDs written in other spellings mdadm also accepts (dashes, upper case)
  const dashed = (u: string) =>
    u
      .replace(/:/g, '')
      .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-')
      .toUpperCase();
  writeFileSync(
    join(tree, 'etc/mdadm/mdadm.conf'),
    [
      '# mdadm.conf written by the installer',
      'HOMEHOST <system>',
      `ARRAY /dev/md0 metadata=1.2 name=host:r5 UUID=${uuid.r5}`,
      `arr /dev/md/home level=raid1`,
      `   uuid=${dashed(uuid.r1 as string)}`,
      'ARRAY /dev/md9 UUID=00000000:00000000:00000000:00000001',
      `ARRAY /dev/md/bad UUID=not-a-uuid`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(tree, 'etc/fstab'),
    [
      'LABEL=mdguest / ext4 defaults 0 1',
      '/dev/md0 /srv/raid5 ext4 defaults 0 2',
      '/dev/md/home /home ext4 defaults 0 2',
      '/dev/md/r10 /srv/raid10 ext4 defaults 0 2',
      '/dev/md/125 /srv/old ext4 defaults 0 2',
      `/dev/disk/by-id/md-uuid-${uuid.r6} /srv/raid6 ext4 defaults 0 2`,
      '/dev/md9 /srv/gone ext4 defaults 0 2',
      '/dev/md/bad /srv/bad ext4 defaults 0 2',
      '',
    ].join('\n'),
  );
  const root = join(dir, 'root.img');
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'mdguest', '-d', tree, root, '8M'], { stdio: 'ignore' });
  return root;
}

/**
 * Impossible geometry in a 1.x superblock (offsets of mdp_superblock_1): what each edit does to
 * the 4 KiB read at the superblock, and the reason the reader must give. Used by disk-md.test.ts
 * (each member left out, the array degraded) and hostile-memory.test.ts (every member edited).
 */
export const MD_CRAFTED_SUPERBLOCKS: [string, (sb: Buffer) => void, RegExp][] = [
  ['raid_disks 0', (sb: Buffer) => sb.writeUInt32LE(0, 92), /raid_disks 0/],
  ['raid_disks 10,000', (sb: Buffer) => sb.writeUInt32LE(10000, 92), /raid_disks 10000/],
  ['chunk size 0', (sb: Buffer) => sb.writeUInt32LE(0, 88), /chunk size 0/],
  ['chunk size not a power of two', (sb: Buffer) => sb.writeUInt32LE(24, 88), /chunk size 12288/],
  ['chunk size 2^31', (sb: Buffer) => sb.writeUInt32LE(2 ** 22, 88), /chunk size 2147483648/],
  ['data_offset past the device', (sb: Buffer) => sb.writeBigUInt64LE(1n << 40n, 128), /data area .* outside the device/],
  ['data_offset beyond 2^53', (sb: Buffer) => sb.writeBigUInt64LE(1n << 62n, 128), /beyond 2\^53/],
  ['max_dev 5000', (sb: Buffer) => sb.writeUInt32LE(5000, 220), /max_dev 5000/],
  ['unknown level', (sb: Buffer) => sb.writeInt32LE(42, 72), /level 42/],
];
