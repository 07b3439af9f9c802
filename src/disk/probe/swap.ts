// Linux swap (v0 SWAP-SPACE, v1 SWAPSPACE2 with label and UUID) and hibernation images in swap
// (swsuspend). The magic ends the first page, for each page size blkid knows.
import { magic, type Magic, type Prober } from './prober.js';
import type { ProbeReader } from './reader.js';
import type { ProbeValues } from './values.js';

const PAGES = [4096, 8192, 16384, 65536];
const TOI = Buffer.from([0xed, 0xc3, 0x02, 0xe9, 0x98, 0x56, 0xe5, 0x0c]);

/** The signature field is the last 10 bytes of the first page. */
function atPageEnds(names: string[]): Magic[] {
  return PAGES.flatMap((p) => names.map((n) => magic(n, p - 10)));
}

/** swap_set_info: the v1 header at 1 KiB. */
async function setInfo(r: ProbeReader, v: ProbeValues, version: string): Promise<boolean> {
  const h = await r.get(1024, 516);
  if (!h) return false;
  if (version === '1') {
    const ver = h.readUInt32LE(0);
    if (ver !== 1 && h.readUInt32BE(0) !== 1) return false;
    if (h.readUInt32LE(4) === 0) return false;
  }
  // "is there any garbage down there?" (padding[32] and [33] of the header)
  if (h.readUInt32LE(44 + 128) === 0 && h.readUInt32LE(44 + 132) === 0) {
    if (h[28] !== 0) v.label(h.subarray(28, 44));
    v.uuid(h.subarray(12, 28));
  }
  v.set('VERSION', version);
  return true;
}

/** blkid ignores swap on anything smaller than ten 4 KiB pages. */
const MIN_SIZE = 10 * 4096;

export const swsuspend: Prober = {
  name: 'swsuspend',
  usage: 'other',
  minSize: MIN_SIZE,
  magics: [...atPageEnds(['S1SUSPEND', 'S2SUSPEND', 'ULSUSPEND', 'LINHIB0001']), magic(TOI, 0)],
  async probe(r, v, mag) {
    if (!mag) return false;
    const m = mag.magic.toString('latin1');
    const version =
      m === 'S1SUSPEND'
        ? 's1suspend'
        : m === 'S2SUSPEND'
          ? 's2suspend'
          : m === 'ULSUSPEND'
            ? 'ulsuspend'
            : m === 'LINHIB0001'
              ? 'linhib0001'
              : 'tuxonice';
    return setInfo(r, v, version);
  },
};

export const swap: Prober = {
  name: 'swap',
  usage: 'other',
  minSize: MIN_SIZE,
  magics: atPageEnds(['SWAP-SPACE', 'SWAPSPACE2']),
  async probe(r, v, mag) {
    if (!mag) return false;
    // TuxOnIce keeps a valid swap header at the end of its first page
    const head = await r.get(0, 8);
    if (head?.equals(TOI)) return false;
    if (mag.magic.toString('latin1') === 'SWAP-SPACE') {
      v.set('VERSION', '0');
      return true;
    }
    return setInfo(r, v, '1');
  },
};
