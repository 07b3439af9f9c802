// The CoreOS family's layouts, put together from the filesystems classification found:
// - Container Linux / Flatcar: a root with no fstab and a USR-A/USR-B pair; the active /usr is
//   chosen (linux/coreos.ts) and mounted on /usr before the OS facts are read;
// - ostree systems (Fedora CoreOS): the OS is the deployment the boot loader boots by default
//   (linux/ostree.ts), read as "/" through a SubtreeFiles view of the physical root.
import type { Session } from '../appliance/session.js';
import { applicationsFor } from './apps/index.js';
import { filesystemsOf } from './filesystems-of.js';
import { resolveFstab, sortMountpoints, type DeviceModel } from './fstab.js';
import { coreosUsrVersion, isCoreosRoot, newestUsr } from './linux/coreos.js';
import { linuxFacts } from './linux/facts.js';
import { chooseDeployment, readLoaderEntries, type BlsEntry } from './linux/ostree.js';
import { compareVersions, versionNumbers } from './linux/coreos.js';
import { SubtreeFiles } from './subtree-files.js';
import type { GuestFiles, OperatingSystem } from './types.js';

/** Run `fn` with `device` mounted read-only at "/" (and everything unmounted after). */
export type Look = <T>(device: string, fn: (files: GuestFiles) => Promise<T>) => Promise<T>;

/** The /usr filesystem of a Container Linux / Flatcar root (undefined when `root` is not one,
 *  or no CoreOS /usr is among `usrDevices`). */
export async function coreosUsrOf(look: Look, root: string, usrDevices: readonly string[]): Promise<string | undefined> {
  if (usrDevices.length === 0 || !(await look(root, isCoreosRoot).catch(() => false))) return undefined;
  const cands: { device: string; version: number[] }[] = [];
  for (const device of usrDevices) {
    const version = await look(device, coreosUsrVersion).catch(() => undefined);
    if (version) cands.push({ device, version });
  }
  return newestUsr(cands)?.device;
}

const FSTAB_CAP = 1 << 20;

/** An ostree system: the default deployment on `root`, its loader entries on one of `boots`
 *  (or in the root's own /boot). Undefined when the root holds no deployment. */
export async function inspectOstreeRoot(
  session: Session,
  look: Look,
  root: string,
  boots: readonly string[],
  model: DeviceModel,
  opts: { applications?: boolean },
): Promise<OperatingSystem | undefined> {
  const warnings: string[] = [];
  const entries: { entry: BlsEntry; device: string }[] = [];
  for (const b of boots) {
    const es = await look(b, (f) => readLoaderEntries(f, '/loader/entries')).catch(() => [] as BlsEntry[]);
    entries.push(...es.map((entry) => ({ entry, device: b })));
  }
  await session.mount(root, '/', { readonly: true });
  try {
    const physical = session.reader;
    for (const entry of await readLoaderEntries(physical, '/boot/loader/entries')) entries.push({ entry, device: root });
    // one default order over every boot filesystem (each list came sorted; merge them)
    entries.sort((a, b) => compareVersions(versionNumbers(b.entry.version ?? ''), versionNumbers(a.entry.version ?? '')));
    const choice = await chooseDeployment(
      physical,
      entries.map((e) => e.entry),
      warnings,
    );
    if (!choice) return undefined;
    const files = new SubtreeFiles(physical, choice.path);
    const facts = await linuxFacts(files, warnings);
    const mounts: Record<string, string> = { '/': root };
    const bootDev = entries.find((e) => e.entry === choice.entry)?.device;
    if (bootDev !== undefined && bootDev !== root) mounts['/boot'] = bootDev;
    const swaps: string[] = [];
    try {
      const fstab = await files.readText('/etc/fstab', { maxBytes: FSTAB_CAP });
      const r = resolveFstab(fstab, model, { rootDevice: root });
      warnings.push(...r.warnings.map((w) => `/etc/fstab: ${w}`));
      for (const m of r.mountpoints) if (m.mountpoint !== '/') mounts[m.mountpoint] = m.device;
      swaps.push(...r.swaps);
    } catch {
      // FCOS's fstab is empty or absent: /boot and / come from the boot entry
    }
    const os: OperatingSystem = {
      root,
      name: 'linux',
      ...facts,
      mountpoints: sortMountpoints(mounts),
      filesystems: filesystemsOf(model, [...Object.values(mounts), ...swaps]),
      warnings,
    };
    if (opts.applications !== false) {
      const apps = await applicationsFor(files, os.package_format, warnings);
      if (apps && 'error' in apps) os.applications_error = apps.error;
      else if (apps) os.applications = apps.applications;
    }
    return os;
  } finally {
    await session.umountAll();
  }
}
