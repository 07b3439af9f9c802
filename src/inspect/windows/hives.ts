// Opening a guest's registry hives through the guest-rooted reader. Hives are read whole
// (Hive works on a buffer) but bounded: a SOFTWARE hive can pass 100 MB on a long-lived
// system, more than that is refused rather than read.
import { JootError } from '../../core/errors.js';
import { Hive } from '../../hive/index.js';
import type { GuestFiles } from '../types.js';
import { nocaseFile } from './paths.js';

/** The largest hive read for inspection (the reader's own default cap is smaller). */
export const HIVE_MAX_BYTES = 512 * 1024 * 1024;

/** %systemroot%\System32\config\NAME as a real-cased guest path, or undefined. */
export function configHivePath(files: GuestFiles, systemroot: string, name: string): Promise<string | undefined> {
  return nocaseFile(files, `${systemroot}/System32/config/${name}`);
}

/**
 * Open a hive file. A base block whose checksum is wrong is read anyway (Windows would recover
 * it from its logs) and said in `warnings`; anything else wrong is an EFORMAT error.
 */
export async function openHive(files: GuestFiles, path: string, warnings: string[], maxBytes = HIVE_MAX_BYTES): Promise<Hive> {
  const buf = await files.readFile(path, { maxBytes });
  try {
    return Hive.open(buf);
  } catch (e) {
    if (!(e instanceof JootError) || !/checksum/i.test(e.message)) throw e;
    const h = Hive.open(buf, { ignoreChecksum: true });
    warnings.push(`${path}: the hive's header checksum is wrong (read anyway)`);
    return h;
  }
}
