// BitLocker is detected, not opened: its volume header replaces the NTFS OEM id at offset 3
// with "-FVE-FS-" (Windows Vista and later; BitLocker To Go keeps "MSWIN4.1" and is not told apart here).
import type { ByteSource } from '../../source.js';

const FVE_SIGNATURE = Buffer.from('-FVE-FS-', 'latin1');

export async function isBitLocker(src: ByteSource): Promise<boolean> {
  if (src.size < 512) return false;
  const b = await src.read(0, 512);
  return b.subarray(3, 11).equals(FVE_SIGNATURE);
}
