// Bounded reads for the optional sections: guest files and directories are hostile (huge,
// endless, looping symlinks), so every read has a size cap and every listing a count cap.
import { oneLine } from '../../core/errors.js';
import { compareNatural } from '../../core/collate.js';
import type { GuestFiles } from '../types.js';

/** a configuration file read for a section (passwd, grub.cfg, a .network file) */
export const CONFIG_MAX_BYTES = 4 * 1024 * 1024;
/** entries taken from one directory listing */
export const DIR_MAX_ENTRIES = 1024;
/** files of one kind parsed (interfaces.d, system-connections, loader entries, …) */
export const FILES_MAX = 64;
/** symlink hops followed by hand (/sbin/init → … → systemd) */
export const MAX_HOPS = 8;

/** The directory's entries, sorted, at most `max`; [] when it is absent or not a directory. */
export async function listDir(files: GuestFiles, dir: string, max = DIR_MAX_ENTRIES): Promise<string[]> {
  try {
    if (!(await files.isDir(dir))) return [];
    const names = await files.readdir(dir);
    return names
      .filter((n) => n !== '.' && n !== '..')
      .sort()
      .slice(0, max);
  } catch {
    return [];
  }
}

/** The file's text (capped), undefined when absent; a file that cannot be read is a warning. */
export async function readConfig(
  files: GuestFiles,
  path: string,
  warnings: string[],
  maxBytes = CONFIG_MAX_BYTES,
): Promise<string | undefined> {
  try {
    if (!(await files.isFile(path))) return undefined;
    return await files.readText(path, { maxBytes });
  } catch (e) {
    warnings.push(`${path}: ${oneLine(e)}`);
    return undefined;
  }
}

/** The directory part of a guest path ("/" for a top-level name). */
export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** `target` (a symlink's text) taken relative to the link's directory, normalised. */
export function joinLink(linkPath: string, target: string): string {
  const parts = (target.startsWith('/') ? target : `${dirOf(linkPath)}/${target}`).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return `/${out.join('/')}`;
}

/** Follow `path`'s symlinks by hand (at most MAX_HOPS), inside the guest: the last path reached. */
export async function followLinks(files: GuestFiles, path: string): Promise<string> {
  let p = path;
  for (let i = 0; i < MAX_HOPS; i++) {
    let target: string;
    try {
      target = await files.readlink(p);
    } catch {
      return p; // not a link (or absent): here it ends
    }
    p = joinLink(p, target);
  }
  return p;
}

/** Compare versions as people read them: 6.10 after 6.9. */
export function compareVersions(a: string, b: string): number {
  return compareNatural(a, b);
}
