// Drive letters → guest devices, from SYSTEM\MountedDevices. A basic-disk MBR volume's value is
// 12 bytes: the disk signature (MBR offset 0x1b8, little-endian) and the partition's byte offset
// (u64 LE). A GPT volume's value is "DMIO:ID:" followed by the partition GUID (16 bytes, first
// three fields little-endian). Other values (CD-ROMs, dynamic disks: UTF-16 device paths) map to
// nothing, as in libguestfs.
export interface PartitionForMapping {
  /** /dev/sda1 */
  name: string;
  /** byte offset inside the disk */
  start: number;
  /** 'dos' | 'gpt' */
  scheme: string;
  /** MBR: "5731303101" style "DISKID-NN"; GPT: the partition GUID */
  uuid?: string;
}

/** "DMIO:ID:" + 16 bytes → the GUID as text, upper case. */
export function guidFromBlob(data: Buffer, offset = 0): string {
  const d1 = data.readUInt32LE(offset).toString(16).padStart(8, '0');
  const d2 = data
    .readUInt16LE(offset + 4)
    .toString(16)
    .padStart(4, '0');
  const d3 = data
    .readUInt16LE(offset + 6)
    .toString(16)
    .padStart(4, '0');
  const d4 = data.subarray(offset + 8, offset + 10).toString('hex');
  const d5 = data.subarray(offset + 10, offset + 16).toString('hex');
  return `${d1}-${d2}-${d3}-${d4}-${d5}`.toUpperCase();
}

const DMIO = Buffer.from('DMIO:ID:', 'latin1');

/** The partition a MountedDevices value names, or undefined. */
export function partitionOfBlob(data: Buffer, parts: readonly PartitionForMapping[]): string | undefined {
  if (data.length === 12) {
    const sig = data.readUInt32LE(0).toString(16).padStart(8, '0');
    const offset = data.readBigUInt64LE(4);
    const hit = parts.find(
      (p) => p.scheme === 'dos' && p.uuid !== undefined && p.uuid.toLowerCase().startsWith(`${sig}-`) && BigInt(p.start) === offset,
    );
    return hit?.name;
  }
  if (data.length === 24 && data.subarray(0, 8).equals(DMIO)) {
    const guid = guidFromBlob(data, 8);
    return parts.find((p) => p.scheme === 'gpt' && p.uuid?.toUpperCase() === guid)?.name;
  }
  return undefined;
}

/** Letter → device for every mapping that names a partition found, sorted by letter. */
export function driveMappings(mounted: Map<string, Buffer>, parts: readonly PartitionForMapping[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const letter of [...mounted.keys()].sort()) {
    const dev = partitionOfBlob(mounted.get(letter)!, parts);
    if (dev) out[letter] = dev;
  }
  return out;
}
