// btrfs: the primary superblock at 64 KiB; UUID is the filesystem id, UUID_SUB this device's.
import { magic, type Prober } from './prober.js';

const SB = 0x10000;

export const btrfs: Prober = {
  name: 'btrfs',
  usage: 'filesystem',
  // blkid does not look for btrfs on anything smaller
  minSize: 1024 * 1024,
  magics: [magic('_BHRfS_M', SB + 0x40)],
  async probe(r, v) {
    const sb = await r.get(SB, 0x1000);
    if (!sb) return false;
    if (sb[0x12b] !== 0) v.label(sb.subarray(0x12b, 0x12b + 256));
    v.uuid(sb.subarray(0x20, 0x30));
    v.uuid(sb.subarray(0xc9 + 66, 0xc9 + 82), 'UUID_SUB');
    v.set('BLOCK_SIZE', String(sb.readUInt32LE(0x90)));
    return true;
  },
};
