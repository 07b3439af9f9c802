// XFS (v4 and v5): blkid's superblock sanity checks (blkid 2.38 does not check the v5 CRC).
import { magic, type Prober } from './prober.js';

function valid(sb: Buffer): boolean {
  const blocksize = sb.readUInt32BE(4);
  const dblocks = sb.readBigUInt64BE(8);
  const rextsize = sb.readUInt32BE(80);
  const agblocks = sb.readUInt32BE(84);
  const agcount = sb.readUInt32BE(88);
  const sectsize = sb.readUInt16BE(102);
  const inodesize = sb.readUInt16BE(104);
  const [blocklog, sectlog, inodelog, inopblog] = [sb[120]!, sb[121]!, sb[122]!, sb[123]!];
  const imaxPct = sb[127]!;
  // 32-bit product, as the C code computes it
  const rext = Number((BigInt(rextsize) * BigInt(blocksize)) & 0xffffffffn);
  const maxD = BigInt(agcount) * BigInt(agblocks);
  const minD = BigInt(agcount - 1) * BigInt(agblocks) + 64n;
  return !(
    agcount <= 0 ||
    sectsize < 512 ||
    sectsize > 32768 ||
    sectlog < 9 ||
    sectlog > 15 ||
    sectsize !== 2 ** sectlog ||
    blocksize < 512 ||
    blocksize > 65536 ||
    blocklog < 9 ||
    blocklog > 16 ||
    blocksize !== 2 ** blocklog ||
    inodesize < 256 ||
    inodesize > 2048 ||
    inodelog < 8 ||
    inodelog > 11 ||
    inodesize !== 2 ** inodelog ||
    blocklog - inodelog !== inopblog ||
    rext > 1024 * 1024 * 1024 ||
    rext < 4096 ||
    imaxPct > 100 ||
    dblocks === 0n ||
    dblocks > maxD ||
    dblocks < minD
  );
}

export const xfs: Prober = {
  name: 'xfs',
  usage: 'filesystem',
  magics: [magic('XFSB', 0)],
  async probe(r, v) {
    const sb = await r.get(0, 512);
    if (!sb || !valid(sb)) return false;
    if (sb[108] !== 0) v.label(sb.subarray(108, 120));
    v.uuid(sb.subarray(32, 48));
    v.set('BLOCK_SIZE', String(sb.readUInt16BE(102)));
    return true;
  },
};
