// EROFS: superblock at 1 KiB (label, UUID, block size).
import { magic, type Prober } from './prober.js';

export const erofs: Prober = {
  name: 'erofs',
  usage: 'filesystem',
  magics: [magic(Buffer.from([0xe2, 0xe1, 0xf5, 0xe0]), 1024)],
  async probe(r, v) {
    const sb = await r.get(1024, 128);
    if (!sb) return false;
    const bits = sb[12]!;
    if (sb[64] !== 0) v.label(sb.subarray(64, 80));
    v.uuid(sb.subarray(48, 64));
    if (bits < 32) v.set('BLOCK_SIZE', String(2 ** bits));
    return true;
  },
};
