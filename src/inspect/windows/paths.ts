// Case-insensitive guest paths. NTFS through ntfs-3g (and FAT through a FUSE driver) is
// case-sensitive here, while Windows names files in any case: System32 may be SYSTEM32,
// config/SOFTWARE may be config/software. Each component is matched against the directory
// listing; an exact match wins over a case-folded one.
import type { GuestFiles } from '../types.js';

async function childOf(files: GuestFiles, dir: string, name: string): Promise<string | undefined> {
  let entries: string[];
  try {
    entries = await files.readdir(dir);
  } catch {
    return undefined;
  }
  const hit = entries.includes(name) ? name : entries.find((e) => e.toLowerCase() === name.toLowerCase());
  return hit === undefined ? undefined : dir === '/' ? `/${hit}` : `${dir}/${hit}`;
}

/** The real-cased guest path of `path` (absolute, / or \ separated), or undefined. */
export async function nocasePath(files: GuestFiles, path: string): Promise<string | undefined> {
  let cur = '/';
  for (const comp of path.split(/[\\/]/).filter((c) => c !== '' && c !== '.')) {
    if (comp === '..') return undefined;
    const next = await childOf(files, cur, comp);
    if (next === undefined) return undefined;
    cur = next;
  }
  return cur;
}

/** A regular file at a case-insensitive path. */
export async function nocaseFile(files: GuestFiles, path: string): Promise<string | undefined> {
  const p = await nocasePath(files, path);
  return p !== undefined && (await files.isFile(p).catch(() => false)) ? p : undefined;
}

/**
 * A Windows path (C:\Users\alice, %systemroot%\system32, \Windows) as a guest path on the
 * system volume: the drive letter is dropped (only the system drive is mounted), %SystemRoot%
 * and %windir% become `systemroot`, %SystemDrive% nothing.
 */
export function windowsToGuest(winPath: string, systemroot: string): string {
  let p = winPath.replace(/%(systemroot|windir)%/gi, systemroot.replace(/\//g, '\\')).replace(/%systemdrive%/gi, '');
  p = p.replace(/^[A-Za-z]:/, '');
  return `/${p
    .split(/[\\/]/)
    .filter((c) => c !== '')
    .join('/')}`;
}
