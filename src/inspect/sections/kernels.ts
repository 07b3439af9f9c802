// --with kernels: the kernels installed (/boot/vmlinuz-VERSION, /lib/modules/VERSION, and the
// /usr/lib/modules/VERSION/vmlinuz that Fedora and Arch ship), marked with the one the boot
// loader's default entry boots (boot-entry.ts).
import type { BootEntry, GuestFiles, Kernel } from '../types.js';
import { compareVersions, FILES_MAX, listDir } from './bounded.js';
import { defaultBootEntry } from './boot-entry.js';

/** kernels listed, at most */
export const MAX_KERNELS = FILES_MAX;

const IMAGE = /^(?:vmlinuz|vmlinux|kernel|bzImage)-(.+)$/;

async function pkgbase(files: GuestFiles, dir: string): Promise<string | undefined> {
  try {
    if (!(await files.isFile(`${dir}/pkgbase`))) return undefined;
    const name = (await files.readHead(`${dir}/pkgbase`, 256)).toString('utf8').trim();
    return /^[\w.+-]+$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

export async function installedKernels(files: GuestFiles): Promise<Kernel[]> {
  const byVersion = new Map<string, Kernel>();
  const get = (version: string): Kernel | undefined => {
    let k = byVersion.get(version);
    if (!k && byVersion.size < MAX_KERNELS) byVersion.set(version, (k = { version, modules: false }));
    return k;
  };
  for (const name of await listDir(files, '/boot')) {
    const m = IMAGE.exec(name);
    // rescue kernels and .hmac files are not versions of their own
    if (!m || /\.(hmac|sig|old)$/.test(name)) continue;
    const k = get(m[1]!);
    if (k && !k.vmlinuz) k.vmlinuz = `/boot/${name}`;
  }
  for (const version of await listDir(files, '/lib/modules')) {
    const dir = `/lib/modules/${version}`;
    if (!(await files.isDir(dir))) continue;
    // Arch names its image after the package (/boot/vmlinuz-linux), which pkgbase names here
    const base = await pkgbase(files, dir);
    const named = base !== undefined ? byVersion.get(base) : undefined;
    if (base !== undefined && named?.vmlinuz && !byVersion.has(version)) {
      byVersion.delete(base);
      byVersion.set(version, { version, vmlinuz: named.vmlinuz, modules: false });
    }
    const k = get(version);
    if (!k) continue;
    k.modules = true;
    if (!k.vmlinuz && (await files.isFile(`${dir}/vmlinuz`))) k.vmlinuz = `${dir}/vmlinuz`;
  }
  // fields in one order whichever source named the kernel first
  return [...byVersion.values()]
    .sort((a, b) => compareVersions(a.version, b.version))
    .map((k) => ({ version: k.version, ...(k.vmlinuz ? { vmlinuz: k.vmlinuz } : {}), modules: k.modules }));
}

/** The kernels, and the default boot entry with its kernel marked. */
export async function kernelsSection(
  files: GuestFiles,
  warnings: string[],
): Promise<{ kernels: Kernel[]; default_boot_entry?: BootEntry }> {
  const kernels = await installedKernels(files);
  const entry = await defaultBootEntry(files, warnings);
  if (!entry) return { kernels };
  const image = entry.linux?.split('/').pop();
  const k = image ? kernels.find((x) => x.vmlinuz?.split('/').pop() === image || IMAGE.exec(image)?.[1] === x.version) : undefined;
  if (k) k.default = true;
  return { kernels, default_boot_entry: entry };
}
