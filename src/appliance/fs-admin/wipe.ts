// Erasing signatures (guestfish wipefs): makes filesystems, RAID members and partition
// tables invisible to blkid without touching the rest of the data. On a whole disk that the
// host has partition devices for, the partitions' own signatures go first: wiping only the
// table would leave each filesystem intact, to reappear the moment a table with the same
// layout is written again (what virt-format does next).
import { readdir, access, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { runTool } from './tool-error.js';

/** Host partition devices of a whole-disk device (from sysfs), in partition order. */
export async function hostPartitions(device: string): Promise<string[]> {
  const real = await realpath(device).catch(() => device);
  const name = basename(real);
  const sys = `/sys/class/block/${name}`;
  let entries: string[];
  try {
    entries = await readdir(sys);
  } catch {
    return [];
  }
  const parts: { dev: string; n: number }[] = [];
  for (const e of entries) {
    if (!e.startsWith(name)) continue;
    try {
      await access(join(sys, e, 'partition'));
    } catch {
      continue;
    }
    parts.push({ dev: join(dirname(real), e), n: Number(/(\d+)$/.exec(e)?.[1] ?? 0) });
  }
  return parts.sort((a, b) => a.n - b.n).map((p) => p.dev);
}

export interface WipeOptions {
  /** also wipe the signatures inside the device's host partitions, first (default true) */
  partitions?: boolean;
}

/**
 * wipefs -a on `device` (and, for a partitioned disk, on each of its partitions before).
 * The host's partition devices stay: whoever maps them (the session) drops them after.
 */
export async function wipeSignatures(device: string, o: WipeOptions = {}): Promise<void> {
  if (o.partitions !== false) {
    for (const p of await hostPartitions(device)) await runTool({ cmd: 'wipefs', args: ['-a', p] }, p);
  }
  await runTool({ cmd: 'wipefs', args: ['-a', device] }, device);
}
