// The sha256 of a whole session device (a partition, an LV, an md array, an opened LUKS
// volume), read through the session in 4 MiB pieces: what the volume tests compare with the
// facts libguestfs's appliance recorded.
import { createHash } from 'node:crypto';
import type { Session } from '../../src/appliance/index.js';

export async function deviceSha256(s: Session, dev: string): Promise<string> {
  const src = await s.openDevice(dev);
  try {
    const h = createHash('sha256');
    for (let off = 0; off < src.size; off += 1 << 22) h.update(await src.read(off, Math.min(1 << 22, src.size - off)));
    return h.digest('hex');
  } finally {
    await src.close();
  }
}
