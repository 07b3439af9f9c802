// --with kernels: the kernels installed (/boot/vmlinuz-VERSION, /lib/modules/VERSION, and the
// /usr/lib/modules/VERSION/vmlinuz that Fedora and Arch ship), marked with the one the boot
// loader's default entry boots (boot-entry.ts).
import type { BootEntry, GuestFiles, Kernel } from '../types.js';
import { compareVersions, FILES_MAX, listDir } from './bounded.js';
import { defaultBootEntry } from './boot-entry.js';

/** kernels listed, at most */
export const MAX_KERNELS = FILES_MAX;

const IMAGE = /^(?:vmlinuz|vmlinux|kernel|bzImage)-(.+)$/;

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
    if (!(await files.isDir(`/lib/modules/${version}`))) continue;
    const k = get(version);
    if (!k) continue;
    k.modules = true;
    if (!k.vmlinuz && (await files.isFile(`/lib/modules/${version}/vmlinuz`))) k.vmlinuz = `/lib/modules/${version}/vmlinuz`;
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
