// Mapping pairs: (length, LCN delta) runs of a non-resident attribute. A run without an LCN is
// sparse (reads as zeros).
import { MAX_FILE_EXTENTS } from '../limits.js';
import type { Fail } from './errors.js';

export interface Run {
  vcn: number;
  length: number;
  /** -1: sparse */
  lcn: number;
}

function readSigned(b: Buffer, off: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i]!);
  if (n > 0 && b[off + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
  return v;
}

export function decodeRunlist(b: Buffer, startVcn: number, fail: Fail, what: string): Run[] {
  const runs: Run[] = [];
  let vcn = BigInt(startVcn);
  let lcn = 0n;
  let off = 0;
  for (;;) {
    if (off >= b.length) throw fail('EFORMAT', `${what}: runlist without terminator`);
    const h = b[off]!;
    if (h === 0) break;
    const lenBytes = h & 0x0f;
    const offBytes = h >> 4;
    if (lenBytes === 0 || lenBytes > 8 || offBytes > 8 || off + 1 + lenBytes + offBytes > b.length)
      throw fail('EFORMAT', `${what}: bad runlist header 0x${h.toString(16)}`);
    const length = readSigned(b, off + 1, lenBytes);
    if (length <= 0n) throw fail('EFORMAT', `${what}: run of length ${length}`);
    let runLcn = -1n;
    if (offBytes) {
      lcn += readSigned(b, off + 1 + lenBytes, offBytes);
      if (lcn < 0n) throw fail('EFORMAT', `${what}: run at negative cluster ${lcn}`);
      runLcn = lcn;
    }
    if (vcn + length > BigInt(Number.MAX_SAFE_INTEGER) || lcn > BigInt(Number.MAX_SAFE_INTEGER))
      throw fail('EFORMAT', `${what}: runlist beyond 2^53`);
    runs.push({ vcn: Number(vcn), length: Number(length), lcn: Number(runLcn) });
    if (runs.length > MAX_FILE_EXTENTS) throw fail('EFORMAT', `${what}: more than ${MAX_FILE_EXTENTS} runs`);
    vcn += length;
    off += 1 + lenBytes + offBytes;
  }
  return runs;
}

/** The run holding `vcn` (runs sorted by VCN), by binary search. */
export function findRun(runs: readonly Run[], vcn: number): Run | undefined {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = runs[mid]!;
    if (vcn < r.vcn) hi = mid - 1;
    else if (vcn >= r.vcn + r.length) lo = mid + 1;
    else return r;
  }
  return undefined;
}
