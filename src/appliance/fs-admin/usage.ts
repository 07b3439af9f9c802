// Space and inode usage of a mounted filesystem (guestfish df, statvfs), from statfs(2)
// on the host mount point: no df to run and parse.
import { statfs } from 'node:fs/promises';
import { JootError } from '../../core/errors.js';

/** Counts and bytes as bigints: exact for any filesystem size (statfs with bigint: true). */
export interface FilesystemUsage {
  /** statfs f_bsize: the unit of the block counts below */
  blockSize: bigint;
  blocks: bigint;
  blocksFree: bigint;
  /** free blocks an unprivileged user may use */
  blocksAvailable: bigint;
  files: bigint;
  filesFree: bigint;
  /** bytes, as df -B1 shows them */
  size: bigint;
  used: bigint;
  available: bigint;
  /** df's Use%: used / (used + available), rounded up; 0 for an empty filesystem */
  usePercent: number;
}

export function usageFromStatfs(s: {
  bsize: bigint;
  blocks: bigint;
  bfree: bigint;
  bavail: bigint;
  files: bigint;
  ffree: bigint;
}): FilesystemUsage {
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
    usePercent: denom === 0n ? 0 : Number((used * 100n + denom - 1n) / denom),
  };
}

export async function filesystemUsage(hostMountDir: string): Promise<FilesystemUsage> {
  try {
    return usageFromStatfs(await statfs(hostMountDir, { bigint: true }));
  } catch (e) {
    throw new JootError('EIO', `statfs ${hostMountDir}: ${(e as Error).message}`, { cause: e });
  }
}
