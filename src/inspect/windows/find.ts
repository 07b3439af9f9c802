// The Windows roots of a launched session: every filesystem that could hold one is mounted
// read-only at "/" in turn and classified (roots.ts), as inspection does, and left unmounted.
import type { Session } from '../../appliance/session.js';
import { oneLine } from '../../core/errors.js';
import { trace } from '../../core/run.js';
import { classify } from '../roots.js';

export interface WindowsRoot {
  /** the filesystem, /dev/sda2 */
  device: string;
  /** the systemroot on it, real case: /Windows */
  systemroot: string;
}

/** Filesystems Windows can live on (and FAT for very old ones); others are not even mounted. */
const WINDOWS_FS = new Set(['ntfs', 'vfat', 'msdos', 'exfat', 'refs']);

export async function windowsRoots(session: Session): Promise<WindowsRoot[]> {
  const out: WindowsRoot[] = [];
  for (const fs of session.filesystems()) {
    if (!WINDOWS_FS.has(fs.type)) continue;
    try {
      await session.mount(fs.name, '/', { readonly: true });
      try {
        const role = await classify(session.reader, fs.type);
        if (role.kind === 'windows-root') out.push({ device: fs.name, systemroot: role.systemroot });
      } finally {
        await session.umountAll();
      }
    } catch (e) {
      trace(`windows roots: cannot look at ${fs.name}: ${oneLine(e)}`);
    }
  }
  return out;
}
