// The two CRCs probing needs: CRC-32C (xfs, btrfs) and the IEEE CRC-32 (GPT). Table-driven.
function table(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

const C32C = table(0x82f63b78);
const C32 = table(0xedb88320);

function run(t: Uint32Array, buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = t[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function crc32c(buf: Uint8Array): number {
  return run(C32C, buf);
}

export function crc32(buf: Uint8Array): number {
  return run(C32, buf);
}
