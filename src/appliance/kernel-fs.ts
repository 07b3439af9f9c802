// Which filesystem types the running kernel mounts: those registered now (/proc/filesystems)
// and those it loads on the first mount. mount(2) of an unknown type makes the kernel ask
// modprobe for "fs-TYPE", which modules.alias maps to a module (fs-iso9660 → isofs, fs-vfat →
// vfat): on a stock host vfat, isofs or xfs are not loaded until something mounts one.
import { readFileSync } from 'node:fs';

/** The type names of /proc/filesystems ("nodev\tproc", "\text4"). */
export function parseProcFilesystems(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .map((l) => l.split('\t').pop()!.trim())
      .filter(Boolean),
  );
}

/** The filesystem types modules.alias names ("alias fs-iso9660 isofs" → iso9660). */
export function aliasedFilesystems(modulesAlias: string): Set<string> {
  const types = new Set<string>();
  for (const m of modulesAlias.matchAll(/^alias fs-(\S+) \S+$/gm)) types.add(m[1]!);
  return types;
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

let cached: Set<string> | undefined;

/** Every type the running kernel mounts, loaded or loadable (read once per process). */
export function kernelFilesystems(): Set<string> {
  if (!cached) {
    const release = readOr('/proc/sys/kernel/osrelease').trim();
    cached = parseProcFilesystems(readOr('/proc/filesystems'));
    if (release) for (const t of aliasedFilesystems(readOr(`/lib/modules/${release}/modules.alias`))) cached.add(t);
  }
  return cached;
}
