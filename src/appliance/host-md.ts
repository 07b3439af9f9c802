// md arrays a stock host assembles behind our back: udev's 64-md-raid-assembly.rules runs
// `mdadm --incremental` on every block device that blkid calls a linux_raid_member, so the
// partitions of a guest disk attached here become the host's /dev/md12x arrays (found in the
// stock-kernel VM: nine arrays from md-a/b/c.img, which then held the loop devices past the
// session, and for a writable disk the host could resync the guest's members). The kernel
// engine reads md in userspace and never wants them: after each attach and before each detach
// it stops every array that holds a device of that disk (a freshly attached guest disk is in
// no array the host made on purpose; a guest's arrays span several of the session's disks).
import { existsSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { commandError, run, retryWhileBusy, type Runner } from '../core/run.js';
import { settle } from './udev.js';

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The kernel names of `disk` (e.g. /dev/loop3) and of its partitions. */
function namesOf(disk: string, sys: string): Set<string> {
  const name = basename(disk);
  const names = new Set([name]);
  for (const e of list(`${sys}/block/${name}`)) if (e.startsWith(name) && existsSync(`${sys}/block/${name}/${e}/partition`)) names.add(e);
  return names;
}

/** md arrays (kernel names) that hold `disk` or one of its partitions. */
export function hostArraysOn(disk: string, sys = '/sys'): string[] {
  const mine = namesOf(disk, sys);
  const name = basename(disk);
  const arrays = new Set<string>();
  for (const n of mine) {
    const holders = list(n === name ? `${sys}/block/${n}/holders` : `${sys}/block/${name}/${n}/holders`);
    for (const h of holders) if (h.startsWith('md')) arrays.add(h);
  }
  return [...arrays].sort();
}

/** Stop the arrays the host assembled from `disk` (after udev has run its rules). */
export async function stopHostArrays(disk: string, runner: Runner = run): Promise<void> {
  if (!existsSync('/proc/mdstat')) return;
  await settle(runner);
  for (const md of hostArraysOn(disk)) {
    await retryWhileBusy(async () => {
      const r = await runner('mdadm', ['--stop', `/dev/${md}`], { allowFailure: true });
      // stopped meanwhile (udev's `mdadm -If` as a member went, an earlier --stop): gone is fine
      if (r.exitCode === 0 || /No such (file|device)/.test(r.stderr) || !existsSync(`/sys/block/${md}`)) return;
      throw commandError(r);
    }, `mdadm --stop /dev/${md}`);
  }
}
