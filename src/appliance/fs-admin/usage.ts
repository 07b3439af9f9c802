// Space and inode usage of a mounted filesystem (guestfish df, statvfs), from statfs(2)
// on the host mount point: no df to run and parse.
import { statfs } from 'node:fs/promises';
import { JootError } from '../errors.js';

export interface FilesystemUsage {
  /** statfs f_bsize: the unit of the block counts below */
  blockSize: number;
  blocks: number;
  blocksFree: number;
  /** free blocks an unprivileged user may use */
  blocksAvailable: number;
  files: number;
  filesFree: number;
  /** bytes, as df -B1 shows them */
  size: number;
  used: number;
  available: number;
  /** df's Use%: used / (used + available), rounded up; 0 for an empty filesystem */
  usePercent: number;
}

export function usageFromStatfs(s: { bsize: number; blocks: number; bfree: number; bavail: number; files: number; ffree: number }): FilesystemUsage {
  const used = (s.blocks - s.bfree) * s.bsize;
  const available = s.bavail * s.bsize;
  const denom = used + available;
  return {
    blockSize: s.bsize,
    blocks: s.blocks,
    blocksFree: s.bfree,
    blocksAvailable: s.bavail,
    files: s.files,
    filesFree: s.ffree,
    size: s.blocks * s.bsize,
    used,
    available,
    usePercent: denom === 0 ? 0 : Math.ceil((used * 100) / denom),
  };
}

export async function filesystemUsage(hostMountDir: string): Promise<FilesystemUsage> {
  try {
    return usageFromStatfs(await statfs(hostMountDir));
  } catch (e) {
    throw new JootError('EIO', `statfs ${hostMountDir}: ${(e as Error).message}`, { cause: e });
  }
}
