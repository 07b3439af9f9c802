// jwinreg's side of the guest: open the image, find its one Windows root, and turn a hive
// reference into the hive file's real-cased guest path (case-insensitive, as Windows names it).
import { JootError } from '../../core/errors.js';
import type { Session } from '../../appliance/session.js';
import type { Hive } from '../../hive/index.js';
import { windowsRoots, type WindowsRoot } from '../../inspect/windows/find.js';
import { configHivePath, openHive } from '../../inspect/windows/hives.js';
import { nocaseFile, nocasePath, windowsToGuest } from '../../inspect/windows/paths.js';
import { stringValue } from '../../inspect/windows/software.js';
import type { HiveRef } from './hive-map.js';

/** The image's Windows root: exactly one, else a one-line error. */
export async function theWindowsRoot(session: Session, images: string): Promise<WindowsRoot> {
  const roots = await windowsRoots(session);
  if (roots.length === 0) throw new JootError('ENOENT', `no Windows operating system found in ${images}`);
  if (roots.length > 1) throw new JootError('EINVAL', `several Windows roots in ${images}: ${roots.map((r) => r.device).join(', ')}`);
  return roots[0]!;
}

export class HiveFiles {
  private software: Hive | undefined;
  readonly warnings: string[] = [];

  /** The session has `root.device` mounted at "/". */
  constructor(
    private readonly session: Session,
    private readonly root: WindowsRoot,
  ) {}

  private async softwareHive(): Promise<Hive> {
    if (this.software) return this.software;
    const p = await configHivePath(this.session.reader, this.root.systemroot, 'SOFTWARE');
    if (!p) throw new JootError('ENOENT', `${this.root.systemroot}/System32/config/SOFTWARE: no such hive`);
    return (this.software = await openHive(this.session.reader, p, this.warnings));
  }

  /** The guest path of the hive file (ENOENT when it is not there). */
  async path(h: HiveRef): Promise<string> {
    const files = this.session.reader;
    const sr = this.root.systemroot;
    if (h.kind === 'config') {
      const p = await configHivePath(files, sr, h.name);
      if (!p) throw new JootError('ENOENT', `${sr}/System32/config/${h.name}: no such hive in the guest`);
      return p;
    }
    let dir: string | undefined;
    if (h.kind === 'sid') {
      const key = (await this.softwareHive()).lookup(`Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\${h.sid}`);
      const pip = stringValue(key, 'ProfileImagePath');
      if (!pip) throw new JootError('ENOENT', `HKEY_USERS\\${h.sid}: no such user profile (not in SOFTWARE's ProfileList)`);
      dir = windowsToGuest(pip, sr);
    } else {
      for (const base of ['/Users', '/Documents and Settings']) {
        const d = await nocasePath(files, `${base}/${h.user}`);
        if (d && (await files.isDir(d).catch(() => false))) {
          dir = d;
          break;
        }
      }
      if (!dir) throw new JootError('ENOENT', `HKEY_USERS\\${h.user}: no such user directory (/Users/${h.user})`);
    }
    const p = await nocaseFile(files, `${dir}/NTUSER.DAT`);
    if (!p) throw new JootError('ENOENT', `${dir}/NTUSER.DAT: no such hive in the guest`);
    return p;
  }

  async open(h: HiveRef): Promise<{ path: string; hive: Hive }> {
    const p = await this.path(h);
    return { path: p, hive: await openHive(this.session.reader, p, this.warnings) };
  }
}
