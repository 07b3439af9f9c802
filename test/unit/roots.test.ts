import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GuestReader } from '../../src/appliance/guest-reader.js';
import { JootError } from '../../src/core/errors.js';
import { classify, type Role } from '../../src/inspect/roots.js';
import type { GuestFiles } from '../../src/inspect/types.js';

let tmp: string;

/** A tree spec: 'dir/' is a directory, 'file' → contents, '@target' → a symlink. */
type Tree = Record<string, string>;

async function build(name: string, tree: Tree): Promise<GuestReader> {
  const root = path.join(tmp, name);
  await fsp.mkdir(root, { recursive: true });
  for (const [p, v] of Object.entries(tree)) {
    const host = path.join(root, p);
    if (p.endsWith('/')) {
      await fsp.mkdir(host, { recursive: true });
      continue;
    }
    await fsp.mkdir(path.dirname(host), { recursive: true });
    if (v.startsWith('@')) await fsp.symlink(v.slice(1), host);
    else await fsp.writeFile(host, v);
  }
  return new GuestReader(root);
}

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'joot-roots-'));
});

afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';

const trees: { what: string; tree: Tree; fsType?: string; role: Role }[] = [
  {
    what: 'Debian-like root (real /bin, fstab, os-release)',
    tree: {
      'etc/os-release': OS_RELEASE,
      'etc/debian_version': '12.5\n',
      'etc/fstab': 'LABEL=root / ext4 defaults 0 1\n',
      'etc/hostname': 'deb\n',
      'bin/sh': 'ELF',
      'usr/bin/': '',
      'usr/lib/': '',
      'var/lib/dpkg/status': '',
      'boot/': '',
      'root/': '',
      'home/': '',
    },
    role: { kind: 'linux-root' },
  },
  {
    what: 'merged-/usr root (/bin → usr/bin, os-release → ../usr/lib/os-release), no fstab',
    tree: {
      bin: '@usr/bin',
      lib: '@usr/lib',
      sbin: '@usr/sbin',
      'usr/bin/ls': 'ELF',
      'usr/sbin/': '',
      'usr/lib/os-release': OS_RELEASE,
      'etc/os-release': '@../usr/lib/os-release',
      'etc/hostname': 'merged\n',
    },
    role: { kind: 'linux-root' },
  },
  {
    what: 'merged-/usr root whose /usr is another filesystem (links dangle)',
    tree: {
      bin: '@usr/bin',
      lib: '@usr/lib',
      'usr/': '',
      'etc/os-release': '@../usr/lib/os-release',
      'var/': '',
    },
    role: { kind: 'linux-root' },
  },
  {
    what: 'root with an absolute /bin → /usr/bin link and only /etc/hosts',
    tree: { bin: '@/usr/bin', 'usr/bin/': '', 'etc/hosts': '127.0.0.1 localhost\n' },
    role: { kind: 'linux-root' },
  },
  {
    what: 'a root with no /etc is not a root',
    tree: {
      bin: '@usr/bin',
      'usr/bin/ls': 'ELF',
      'usr/lib/os-release': OS_RELEASE,
      'usr/share/': '',
      lib: '@usr/lib',
      'var/log/': '',
      'home/': '',
    },
    role: { kind: 'none' },
  },
  {
    what: '/etc and /bin but nothing that identifies a system',
    tree: { 'etc/': '', 'bin/': '' },
    role: { kind: 'none' },
  },
  {
    what: 'separate /usr (bin, lib, share, local)',
    tree: { 'bin/ls': 'ELF', 'lib/x86_64-linux-gnu/': '', 'share/doc/': '', 'local/bin/': '', 'sbin/': '' },
    role: { kind: 'usr' },
  },
  {
    what: 'separate merged /usr identified by lib/os-release (no local/)',
    tree: { 'bin/ls': 'ELF', 'lib64/': '', 'lib/os-release': OS_RELEASE, 'share/': '' },
    role: { kind: 'usr' },
  },
  {
    what: 'a /usr/local is not a /usr',
    tree: { 'bin/': '', 'lib/': '', 'share/': '', 'etc/': '', 'include/': '' },
    role: { kind: 'none' },
  },
  {
    what: 'separate /var (log, lib/dpkg, dangling run → /run)',
    tree: { 'log/syslog': '', 'lib/dpkg/status': '', 'cache/': '', 'tmp/': '', run: '@/run', lock: '@/run/lock' },
    role: { kind: 'var' },
  },
  {
    what: 'separate /var of an rpm system (log, spool)',
    tree: { 'log/': '', 'spool/mail/': '', 'lib/': '' },
    role: { kind: 'var' },
  },
  {
    what: '/boot with grub/',
    tree: { 'grub/grub.cfg': 'set default=0\n', 'vmlinuz-6.1.0-18-amd64': 'k', 'initrd.img-6.1.0-18-amd64': 'i', 'lost+found/': '' },
    role: { kind: 'boot' },
  },
  {
    what: '/boot with grub2/ (Fedora)',
    tree: { 'grub2/grub.cfg': '', 'loader/entries/x.conf': '' },
    role: { kind: 'boot' },
  },
  {
    what: '/boot with kernels only',
    tree: { 'vmlinuz-5.14.0-362.el9.x86_64': 'k', 'config-5.14.0-362.el9.x86_64': 'c' },
    role: { kind: 'boot' },
  },
  {
    what: 'ESP with systemd-boot loader/',
    tree: { 'EFI/systemd/systemd-bootx64.efi': '', 'loader/loader.conf': 'timeout 3\n' },
    fsType: 'vfat',
    role: { kind: 'boot' },
  },
  {
    what: 'Windows root, mixed-case names',
    tree: {
      'WINDOWS/sYsTeM32/Config/software': 'regf',
      'WINDOWS/sYsTeM32/Config/SYSTEM': 'regf',
      'WINDOWS/sYsTeM32/CMD.EXE': 'MZ',
      'Program Files/': '',
      'pagefile.sys': '',
    },
    fsType: 'ntfs',
    role: { kind: 'windows-root', systemroot: '/WINDOWS' },
  },
  {
    what: 'Windows root with hives but no cmd.exe',
    tree: { 'Windows/System32/config/SOFTWARE': 'regf' },
    fsType: 'ntfs',
    role: { kind: 'windows-root', systemroot: '/Windows' },
  },
  {
    what: 'WinNT, and a decoy /Windows without System32',
    tree: { 'Windows/Temp/': '', 'winnt/system32/config/': '', 'winnt/system32/cmd.exe': 'MZ' },
    fsType: 'ntfs',
    role: { kind: 'windows-root', systemroot: '/winnt' },
  },
  {
    what: 'case-sensitive fs holding two spellings: the one with System32 wins',
    tree: { 'windows/system32/': '', 'WINDOWS/System32/config/SYSTEM': 'regf' },
    fsType: 'ntfs',
    role: { kind: 'windows-root', systemroot: '/WINDOWS' },
  },
  {
    what: 'Windows systemroot found through boot.ini',
    tree: {
      'BOOT.INI':
        '[boot loader]\r\ntimeout=30\r\ndefault=multi(0)disk(0)rdisk(0)partition(1)\\MYWIN\r\n[operating systems]\r\nmulti(0)disk(0)rdisk(0)partition(1)\\MYWIN="Microsoft Windows XP Professional" /fastdetect\r\n',
      'MyWin/system32/CONFIG/system': 'regf',
      'MyWin/system32/cmd.exe': 'MZ',
    },
    fsType: 'ntfs',
    role: { kind: 'windows-root', systemroot: '/MyWin' },
  },
  {
    what: 'Windows data volume (Program Files, System Volume Information) is not a root',
    tree: { 'Program Files/App/': '', 'System Volume Information/': '' },
    fsType: 'ntfs',
    role: { kind: 'none' },
  },
  {
    what: 'FreeBSD root',
    tree: { 'etc/freebsd-update.conf': '', 'etc/fstab': '', 'bin/sh': '', 'boot/kernel/kernel': '' },
    fsType: 'ufs',
    role: { kind: 'unix-root', name: 'freebsd' },
  },
  {
    what: 'OpenBSD root',
    tree: { 'etc/motd': 'OpenBSD 7.4\n', 'etc/fstab': '', 'bin/': '', bsd: 'k' },
    fsType: 'ufs',
    role: { kind: 'unix-root', name: 'openbsd' },
  },
  {
    what: 'GNU/Hurd root',
    tree: { 'hurd/console': '', 'hurd/hello': '', 'hurd/null': '', 'etc/fstab': '', 'bin/': '' },
    role: { kind: 'unix-root', name: 'hurd' },
  },
  {
    what: 'CoreOS root (no /bin)',
    tree: { 'etc/coreos/update.conf': '', 'root/': '', 'home/': '', 'usr/': '' },
    role: { kind: 'linux-root' },
  },
  { what: 'empty filesystem', tree: {}, role: { kind: 'none' } },
  { what: 'lost+found only', tree: { 'lost+found/': '' }, role: { kind: 'none' } },
];

describe('classify', () => {
  trees.forEach((t, i) => {
    it(t.what, async () => {
      const reader = await build(`t${i}`, t.tree);
      expect(await classify(reader, t.fsType ?? 'ext4')).toEqual(t.role);
    });
  });

  it('a swap or LVM type is classified without reading anything', async () => {
    const calls: string[] = [];
    const spy = new Proxy({} as GuestFiles, {
      get: (_t, prop) => () => {
        calls.push(String(prop));
        throw new Error('must not be called');
      },
    });
    expect(await classify(spy, 'swap')).toEqual({ kind: 'none' });
    expect(await classify(spy, 'LVM2_member')).toEqual({ kind: 'none' });
    expect(calls).toEqual([]);
  });

  it('a reader that fails everywhere gives none, never an exception', async () => {
    const fail = () => Promise.reject(new JootError('EIO', '/: Input/output error'));
    const broken: GuestFiles = {
      readFile: fail,
      readHead: fail,
      readText: fail,
      readLines: fail,
      readdir: fail,
      readlink: fail,
      exists: fail,
      isFile: fail,
      isDir: fail,
    };
    expect(await classify(broken, 'ext4')).toEqual({ kind: 'none' });
  });

  it('symlinks never leave the guest: /etc → / on the host is not followed out', async () => {
    // /etc points at an absolute path; inside the guest that is the guest's own /, which has no
    // os-release — the host's /etc must not make this a root.
    const reader = await build('escape', { etc: '@/', 'bin/': '' });
    expect(await classify(reader, 'ext4')).toEqual({ kind: 'none' });
  });
});
