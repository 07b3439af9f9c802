// Is this device LUKS, and what does its header say? The version field picks the parser.
import { JootError } from '../../../core/errors.js';
import type { ByteSource } from '../../source.js';
import type { LuksDataDevice, LuksHeader } from './header.js';
import { LUKS1_PHDR_SIZE, parseLuks1 } from './luks1.js';
import { LUKS2_HDR_SIZES, LUKS2_MAGIC_PRIMARY, LUKS2_MAGIC_SECONDARY, readLuks2 } from './luks2.js';

/** The header of `src`, or undefined when it is not LUKS. Malformed headers are EFORMAT naming the
 *  device. `data`: `src` is a detached header (a file) for the encrypted data on `data`. */
export async function readLuksHeader(src: ByteSource, data?: LuksDataDevice): Promise<LuksHeader | undefined> {
  if (src.size < LUKS1_PHDR_SIZE) return undefined;
  const first = await src.read(0, Math.min(4096, src.size));
  if (first.subarray(0, 6).equals(LUKS2_MAGIC_PRIMARY)) {
    const version = first.readUInt16BE(6);
    if (version === 1) return parseLuks1(first, src, data);
    if (version === 2 && first.length === 4096) return readLuks2(src, first, data);
    throw new JootError('EUNSUPPORTED', `${src.name}: LUKS version ${version} is not supported`);
  }
  // a damaged primary LUKS2 header: the secondary copy still says what the device is
  for (const off of LUKS2_HDR_SIZES) {
    if (off + 8 > src.size) break;
    const b = await src.read(off, 8);
    if (b.subarray(0, 6).equals(LUKS2_MAGIC_SECONDARY) && b.readUInt16BE(6) === 2) return readLuks2(src, undefined, data);
  }
  return undefined;
}
