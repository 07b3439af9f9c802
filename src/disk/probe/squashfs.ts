// squashfs 4 (and the old 3.x, which blkid names squashfs3): the version is all it reports.
import { magic, type Prober } from './prober.js';

export const squashfs: Prober = {
  name: 'squashfs',
  usage: 'filesystem',
  magics: [magic('hsqs', 0)],
  async probe(r, v) {
    const sb = await r.get(0, 96);
    if (!sb) return false;
    const major = sb.readUInt16LE(28);
    if (major < 4) return false;
    v.set('VERSION', `${major}.${sb.readUInt16LE(30)}`);
    return true;
  },
};

export const squashfs3: Prober = {
  name: 'squashfs3',
  usage: 'filesystem',
  magics: [magic('sqsh', 0), magic('hsqs', 0)],
  async probe(r, v, mag) {
    const sb = await r.get(0, 96);
    if (!sb || !mag) return false;
    const be = mag.magic.toString('latin1') === 'sqsh';
    const major = be ? sb.readUInt16BE(28) : sb.readUInt16LE(28);
    const minor = be ? sb.readUInt16BE(30) : sb.readUInt16LE(30);
    if (major > 3) return false;
    v.set('VERSION', `${major}.${minor}`);
    // blkid 2.38 reports a fixed 1 KiB here (and nothing for squashfs 4)
    v.set('BLOCK_SIZE', '1024');
    return true;
  },
};
