// The anti-forensic splitter (LUKS1 AF, also LUKS2's "luks1" af type): the key material is
// `stripes` blocks of the key size; merging XORs each block into a running value that is
// "diffused" with the header's hash between blocks, and XORs the last block in at the end.
import { nodeCrypto } from '../../../core/lazy-node.js';

export function afMerge(material: Buffer, keySize: number, stripes: number, hash: string): Buffer {
  if (material.length < keySize * stripes) throw new Error('internal: AF material shorter than key size × stripes');
  let d: Buffer = Buffer.alloc(keySize);
  for (let i = 0; i < stripes - 1; i++) {
    const block = material.subarray(i * keySize, (i + 1) * keySize);
    for (let j = 0; j < keySize; j++) d[j]! ^= block[j]!;
    d = diffuse(d, hash);
  }
  const last = material.subarray((stripes - 1) * keySize, stripes * keySize);
  for (let j = 0; j < keySize; j++) d[j]! ^= last[j]!;
  return d;
}

/** Each digest-sized piece i becomes hash(be32(i) ‖ piece), cut to the piece's length. */
function diffuse(src: Buffer, hash: string): Buffer {
  const out = Buffer.alloc(src.length);
  const iv = Buffer.alloc(4);
  const digestLen = nodeCrypto().createHash(hash).digest().length;
  let i = 0;
  for (let off = 0; off < src.length; i++) {
    const h = nodeCrypto().createHash(hash);
    iv.writeUInt32BE(i);
    h.update(iv);
    const piece = src.subarray(off, Math.min(src.length, off + digestLen));
    h.update(piece).digest().copy(out, off, 0, piece.length);
    off += piece.length;
  }
  return out;
}
