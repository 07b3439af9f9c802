// /proc/self/mountinfo, parsed once here: what is mounted where in this process's mount
// namespace. Paths are unescaped (the kernel writes space, tab, newline and backslash as
// backslash and three octal digits).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export interface MountEntry {
  /** major:minor of the filesystem's device */
  devno: string;
  mountpoint: string;
  fstype: string;
  /** the mount source (a device path for block filesystems) */
  source: string;
}

const MOUNTINFO = '/proc/self/mountinfo';

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [head, tail] = line.split(' - ');
    if (!head || tail === undefined) continue;
    const f = head.split(' ');
    const [fstype = '', source = ''] = tail.split(' ');
    out.push({ devno: f[2] ?? '', mountpoint: unescapeOctal(f[4] ?? ''), fstype, source: unescapeOctal(source) });
  }
  return out;
}

export async function mounts(): Promise<MountEntry[]> {
  return parseMountinfo(await readFile(MOUNTINFO, 'utf8'));
}

export function mountsSync(): MountEntry[] {
  return parseMountinfo(readFileSync(MOUNTINFO, 'utf8'));
}

/** Every mount point, in mount order (a mount's parent comes before it). */
export async function mountedPaths(): Promise<string[]> {
  return (await mounts()).map((m) => m.mountpoint);
}

export async function isMountpoint(path: string): Promise<boolean> {
  return (await mounts()).some((m) => m.mountpoint === path);
}
