// What one filesystem is, looked at through the guest-rooted reader with the filesystem mounted
// at "/": an OS root, a separate /usr, /var or /boot, or nothing of interest.
//
// The rules follow libguestfs's check_filesystem (daemon/inspect_fs.ml) and is_windows_systemroot
// (daemon/inspect_fs_windows.ml), in the same order, with the differences noted at each rule.
// Every probe is a stat or a directory listing; nothing here throws on guest data (an unreadable
// path counts as absent), and nothing is read except a Windows /boot.ini (capped).
import type { GuestFiles } from './types.js';

/** Non-Linux Unix-like roots libguestfs recognises, named as its os type ("freebsd", …). */
export type UnixRootName = 'freebsd' | 'netbsd' | 'openbsd' | 'hurd' | 'minix';

export type Role =
  | { kind: 'linux-root' }
  | { kind: 'usr' }
  | { kind: 'var' }
  | { kind: 'boot' }
  | { kind: 'windows-root'; systemroot: string }
  /** an ostree system's physical root: the OS is one of its /ostree/deploy/… deployments */
  | { kind: 'ostree-root' }
  /** FreeBSD, NetBSD, OpenBSD, GNU/Hurd or Minix root (libguestfs's other `Root roles) */
  | { kind: 'unix-root'; name: UnixRootName }
  | { kind: 'none' };

/** blkid types that are not filesystems: classified without a single read. */
const NOT_A_FILESYSTEM = new Set(['swap', 'LVM2_member', 'crypto_LUKS', 'linux_raid_member', 'zfs_member', 'BitLocker']);

/** libguestfs's Linux release files (linux_root_tests), any one of which identifies a Linux root. */
const RELEASE_FILES = [
  '/etc/os-release',
  '/usr/lib/os-release',
  '/etc/lsb-release',
  '/etc/oracle-release',
  '/etc/centos-release',
  '/etc/altlinux-release',
  '/etc/redhat-release',
  '/etc/debian_version',
  '/etc/pardus-release',
  '/etc/arch-release',
  '/etc/gentoo-release',
  '/etc/meego-release',
  '/etc/slackware-version',
  '/etc/ttylinux-target',
  '/etc/SuSE-release',
  '/etc/cirros/version',
  '/etc/br-version',
  '/etc/alpine-release',
  '/etc/frugalware-release',
  '/etc/pld-release',
];

/** libguestfs's systemroot_paths, tried in this order, compared case-insensitively. */
const SYSTEMROOT_NAMES = ['windows', 'winnt', 'win32', 'win', 'reactos'];

const BOOT_INI_MAX_BYTES = 64 * 1024;

/** Memoised, never-throwing probes for one classification. */
class Probe {
  private readonly dirs = new Map<string, Promise<boolean>>();
  private readonly files = new Map<string, Promise<boolean>>();
  private readonly listings = new Map<string, Promise<string[]>>();

  constructor(private readonly fs: GuestFiles) {}

  /** A directory, following symlinks inside the guest. */
  dir(p: string): Promise<boolean> {
    let r = this.dirs.get(p);
    if (!r) this.dirs.set(p, (r = this.fs.isDir(p).catch(() => false)));
    return r;
  }

  /** A regular file, following symlinks inside the guest. */
  file(p: string): Promise<boolean> {
    let r = this.files.get(p);
    if (!r) this.files.set(p, (r = this.fs.isFile(p).catch(() => false)));
    return r;
  }

  /** The link text when `p` is a symlink (not followed). */
  link(p: string): Promise<string | undefined> {
    return this.fs.readlink(p).catch(() => undefined);
  }

  /** A file, or a symlink even when it dangles: /etc/os-release → ../usr/lib/os-release points
   *  into a /usr that may be another filesystem, not mounted while this one is classified. */
  async present(p: string): Promise<boolean> {
    return (await this.file(p)) || (await this.link(p)) !== undefined;
  }

  /** A small text file (boot.ini); undefined when unreadable or larger than `maxBytes`. */
  text(p: string, maxBytes: number): Promise<string | undefined> {
    return this.fs.readText(p, { maxBytes }).catch(() => undefined);
  }

  list(p: string): Promise<string[]> {
    let r = this.listings.get(p);
    if (!r) this.listings.set(p, (r = this.fs.readdir(p).catch(() => [])));
    return r;
  }

  /** The real name of `name` inside directory `dir`, compared case-insensitively (an exact match
   *  wins): NTFS through ntfs-3g and FAT through a FUSE driver are case-sensitive here. */
  async child(dir: string, name: string): Promise<string[]> {
    const entries = await this.list(dir);
    const lower = name.toLowerCase();
    const hits = entries.filter((e) => e.toLowerCase() === lower);
    hits.sort((a, b) => (a === name ? -1 : b === name ? 1 : 0));
    return hits.map((e) => (dir === '/' ? `/${e}` : `${dir}/${e}`));
  }

  /** Resolve an absolute path component by component, case-insensitively; every real-cased
   *  candidate (a case-sensitive fs may hold both System32 and SYSTEM32). Capped. */
  async nocase(path: string): Promise<string[]> {
    let current = ['/'];
    for (const comp of path.split('/').filter((c) => c !== '' && c !== '.')) {
      if (comp === '..') return [];
      const next: string[] = [];
      for (const d of current) next.push(...(await this.child(d, comp)));
      current = next.slice(0, 8);
      if (current.length === 0) break;
    }
    return current;
  }

  async any(ps: string[], test: (p: string) => Promise<boolean>): Promise<boolean> {
    for (const p of ps) if (await test(p)) return true;
    return false;
  }
}

export async function classify(files: GuestFiles, fsType: string): Promise<Role> {
  if (NOT_A_FILESYSTEM.has(fsType)) return { kind: 'none' };
  const p = new Probe(files);

  // A root without /etc is never a root (none of the root rules below match without it).
  const hasEtc = await p.dir('/etc');

  // ---- ostree physical root (joot's addition; libguestfs 1.48 finds no OS there): no /etc at
  // the top, the OS trees in /ostree/deploy/STATEROOT/deploy/ (linux/ostree.ts).
  if (!hasEtc && (await p.dir('/ostree/deploy'))) return { kind: 'ostree-root' };

  // ---- /boot. libguestfs checks this first: /grub/menu.lst, /grub/grub.conf, /grub2/grub.cfg.
  // Here: a /grub, /grub2 or /loader (systemd-boot) directory, or a vmlinuz-*/vmlinux-* kernel
  // at the top — and no /etc, so a root that keeps odd things at its top is still a root.
  if (!hasEtc) {
    if ((await p.dir('/grub')) || (await p.dir('/grub2')) || (await p.dir('/loader'))) return { kind: 'boot' };
    const top = await p.list('/');
    for (const name of top) {
      if (/^vmlinu[xz]-./.test(name) && (await p.file(`/${name}`))) return { kind: 'boot' };
    }
  }

  if (hasEtc) {
    const bin = await p.dir('/bin');
    // ---- FreeBSD root: /etc, /bin, /etc/freebsd-update.conf, /etc/fstab (as libguestfs).
    if (bin && (await p.file('/etc/freebsd-update.conf')) && (await p.file('/etc/fstab'))) {
      return { kind: 'unix-root', name: 'freebsd' };
    }
    // ---- NetBSD root: /etc, /bin, /netbsd (the kernel), /etc/fstab, /etc/release.
    if (bin && (await p.file('/netbsd')) && (await p.file('/etc/fstab')) && (await p.file('/etc/release'))) {
      return { kind: 'unix-root', name: 'netbsd' };
    }
    // ---- OpenBSD root: /etc, /bin, /bsd (the kernel), /etc/fstab, /etc/motd.
    // (libguestfs records these as os type freebsd, an evident slip; named openbsd here.)
    if (bin && (await p.file('/bsd')) && (await p.file('/etc/fstab')) && (await p.file('/etc/motd'))) {
      return { kind: 'unix-root', name: 'openbsd' };
    }
  }
  // ---- GNU/Hurd root: the translators /hurd/console, /hurd/hello, /hurd/null (no /etc needed
  // in libguestfs's rule; Hurd systems have one anyway).
  if ((await p.file('/hurd/console')) && (await p.file('/hurd/hello')) && (await p.file('/hurd/null'))) {
    return { kind: 'unix-root', name: 'hurd' };
  }
  if (hasEtc) {
    // ---- Minix root: /etc, /bin, /service/vm, /etc/fstab, /etc/version.
    if ((await p.dir('/bin')) && (await p.file('/service/vm')) && (await p.file('/etc/fstab')) && (await p.file('/etc/version'))) {
      return { kind: 'unix-root', name: 'minix' };
    }

    // ---- Linux root.
    //  1. /etc is a directory (checked above);
    //  2. /bin is a directory (following links inside the guest), or a symlink whose text is
    //     usr/bin or /usr/bin (merged /usr whose /usr is another filesystem: the link dangles
    //     here — libguestfs accepts the link text "usr/bin"), or /usr/bin is a directory;
    //  3. something identifies it as an installed system: /etc/fstab or /etc/hosts (libguestfs's
    //     rule), or any of libguestfs's release files (os-release, lsb-release, *-release,
    //     debian_version, …) — present as a file or as a symlink, dangling or not.
    const binLink = await p.link('/bin');
    const hasBin =
      (await p.dir('/bin')) || binLink === 'usr/bin' || binLink === '/usr/bin' || binLink === 'usr/bin/' || (await p.dir('/usr/bin'));
    if (hasBin) {
      const identified =
        (await p.present('/etc/fstab')) || (await p.present('/etc/hosts')) || (await p.any(RELEASE_FILES, (f) => p.present(f)));
      if (identified) return { kind: 'linux-root' };
    }

    // ---- CoreOS root: /etc, /root, /home, /usr, /etc/coreos/update.conf (no /bin, no fstab).
    if ((await p.dir('/root')) && (await p.dir('/home')) && (await p.dir('/usr')) && (await p.file('/etc/coreos/update.conf'))) {
      return { kind: 'linux-root' };
    }
  }

  // ---- Linux /usr: /bin, /share, and /lib or /lib64 directories; no /etc/fstab; and /local
  // (libguestfs's test that tells /usr from /usr/local, which has no local/) or lib/os-release
  // (merged-/usr and CoreOS/usr-only layouts). libguestfs also demands /etc, which a /usr
  // rarely has (openSUSE's /usr/etc aside): /etc is neither required nor refused here.
  if (
    (await p.dir('/bin')) &&
    (await p.dir('/share')) &&
    ((await p.dir('/lib')) || (await p.dir('/lib64'))) &&
    !(await p.present('/etc/fstab')) &&
    ((await p.dir('/local')) || (await p.present('/lib/os-release')))
  ) {
    return { kind: 'usr' };
  }
  // ---- CoreOS /usr (libguestfs's rule): /bin, /share, /local and /share/coreos (Flatcar:
  // /share/flatcar), with or without /lib.
  if (
    (await p.dir('/bin')) &&
    (await p.dir('/share')) &&
    (await p.dir('/local')) &&
    (await p.any(['/share/coreos', '/share/flatcar'], (d) => p.dir(d)))
  ) {
    return { kind: 'usr' };
  }

  // ---- Linux /var: /log, and /spool or a package database directory (lib/dpkg, lib/rpm,
  // lib/pacman, lib/apk); no /etc. libguestfs asks for /log, /run and /spool, but /var/run is a
  // symlink to /run on current systems, dangling in a separate /var.
  if (!hasEtc && (await p.dir('/log')) && (await p.any(['/spool', '/lib/dpkg', '/lib/rpm', '/lib/pacman', '/lib/apk'], (d) => p.dir(d)))) {
    return { kind: 'var' };
  }

  // ---- Windows root: a systemroot directory (/Windows, /WINNT, /Win32, /Win, /ReactOS, any
  // case) holding System32/ and System32/config/ and System32/cmd.exe, or, failing those, one
  // named in /boot.ini. libguestfs requires cmd.exe; a SYSTEM or SOFTWARE hive in config/ is
  // accepted here instead (what the rest of inspection reads). The real-cased path is returned.
  const systemroot = await windowsSystemroot(p);
  if (systemroot) return { kind: 'windows-root', systemroot };

  return { kind: 'none' };
}

async function isSystemroot(p: Probe, root: string): Promise<boolean> {
  for (const sys32 of await p.child(root, 'system32')) {
    if (!(await p.dir(sys32))) continue;
    for (const config of await p.child(sys32, 'config')) {
      if (!(await p.dir(config))) continue;
      const marks = [...(await p.child(sys32, 'cmd.exe')), ...(await p.child(config, 'SYSTEM')), ...(await p.child(config, 'SOFTWARE'))];
      if (await p.any(marks, (f) => p.file(f))) return true;
    }
  }
  return false;
}

async function windowsSystemroot(p: Probe): Promise<string | undefined> {
  for (const name of SYSTEMROOT_NAMES) {
    for (const cand of await p.child('/', name)) {
      if ((await p.dir(cand)) && (await isSystemroot(p, cand))) return cand;
    }
  }
  // boot.ini (NT 4 to XP/2003): [operating systems] lines like
  //   multi(0)disk(0)rdisk(0)partition(1)\WINDOWS="Microsoft Windows XP" /fastdetect
  // The partition is assumed to be this one, as libguestfs assumes.
  for (const ini of await p.child('/', 'boot.ini')) {
    const text = await p.text(ini, BOOT_INI_MAX_BYTES);
    if (text === undefined) continue;
    const lines = text.split(/\r?\n/);
    let inOses = false;
    for (const raw of lines) {
      const line = raw.trim();
      if (!inOses) {
        inOses = line.toLowerCase().startsWith('[operating systems]');
        continue;
      }
      const m = /^(?:multi|scsi)\(\d+\)disk\(\d+\)rdisk\(\d+\)partition\(\d+\)([^=]+)=/i.exec(line);
      if (!m) {
        if (/^(?:multi|scsi)\(/i.test(line)) continue; // unparseable OS line: skip it
        break; // end of the section
      }
      const path = m[1]!.trim().replace(/\\/g, '/');
      for (const cand of await p.nocase(path)) {
        if ((await p.dir(cand)) && (await isSystemroot(p, cand))) return cand;
      }
    }
  }
  return undefined;
}
