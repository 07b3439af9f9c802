// An operating system's icon, as libguestfs finds it (lib/inspect-icon.c): /etc/favicon.png
// when asked, else the distribution's logo file at the path libguestfs knows for it. Only PNG
// files whose header says 16–1024 pixels each way and whose size is within libguestfs's limit
// for that logo are taken; anything else is "no icon". libguestfs renders Cirros's text logo
// and cuts Windows's icon out of explorer.exe with netpbm and wrestool: jfish runs no such
// tools on guest data, so those two have no icon here (as libguestfs built without them).
import type { GuestFiles } from './types.js';

export interface IconOptions {
  /** look at /etc/favicon.png first (guestfish's default: true) */
  readonly favicon?: boolean;
  /** only a high-quality icon (no favicon, no Ubuntu's small logo); default false */
  readonly highquality?: boolean;
}

/** The facts the choice needs. */
export interface IconOs {
  readonly name: string;
  readonly distro?: string;
  readonly major_version: number;
}

interface Logo {
  readonly paths: readonly string[];
  /** the largest file taken; 0: 4 bytes per pixel of its header's size */
  readonly maxBytes: number;
  /** not when highquality is asked */
  readonly lowQuality?: boolean;
}

const RHEL_LIKE = new Set(['rhel', 'redhat-based', 'centos', 'scientificlinux', 'oraclelinux']);

function logoOf(os: IconOs): Logo | undefined {
  if (os.name !== 'linux' && os.name !== 'hurd') return undefined;
  const d = os.distro ?? '';
  if (d === 'fedora') return { paths: ['/usr/share/icons/hicolor/96x96/apps/fedora-logo-icon.png'], maxBytes: 0 };
  if (RHEL_LIKE.has(d)) {
    const p = os.major_version < 7 ? '/usr/share/pixmaps/redhat/shadowman-transparent.png' : '/usr/share/pixmaps/fedora-logo-sprite.png';
    return { paths: [p], maxBytes: 102400 };
  }
  if (d === 'debian') return { paths: ['/usr/share/pixmaps/debian-logo.png'], maxBytes: 2048 };
  if (d === 'ubuntu') {
    return {
      paths: ['/usr/share/icons/gnome/24x24/places/ubuntu-logo.png', '/usr/share/help/C/ubuntu-help/figures/ubuntu-logo.png'],
      maxBytes: 2048,
      lowQuality: true,
    };
  }
  if (d === 'mageia') return { paths: ['/usr/share/icons/mageia.png'], maxBytes: 2048 };
  if (d === 'suse-based' || d === 'opensuse' || d === 'sles')
    return { paths: ['/usr/share/icons/hicolor/24x24/apps/distributor.png'], maxBytes: 2048 };
  if (d === 'voidlinux') return { paths: ['/usr/share/void-artwork/void-logo.png'], maxBytes: 20480 };
  if (d === 'altlinux') return { paths: ['/usr/share/icons/hicolor/48x48/apps/altlinux.png'], maxBytes: 20480 };
  return undefined;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk, or undefined when `head` is not a PNG. */
export function pngSize(head: Buffer): { width: number; height: number } | undefined {
  if (head.length < 24 || !head.subarray(0, 8).equals(PNG_SIGNATURE)) return undefined;
  if (head.readUInt32BE(8) !== 13 || head.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

/** The PNG at `path` when it is a reasonable icon (libguestfs's get_png), else undefined. */
async function png(files: GuestFiles, path: string, maxBytes: number): Promise<Buffer | undefined> {
  try {
    if (!(await files.isFile(path))) return undefined;
    const size = pngSize(await files.readHead(path, 24));
    if (!size || size.width < 16 || size.height < 16 || size.width > 1024 || size.height > 1024) return undefined;
    // readFile refuses (rather than truncates) a larger file: a logo over the limit is no icon
    return await files.readFile(path, { maxBytes: maxBytes || 4 * size.width * size.height });
  } catch {
    return undefined; // a broken link, a file over the limit, an unreadable file: no icon
  }
}

/** The icon of `os` from its mounted filesystems (`files`), or undefined when there is none. */
export async function findIcon(files: GuestFiles, os: IconOs, opts: IconOptions = {}): Promise<Buffer | undefined> {
  const highquality = opts.highquality ?? false;
  const favicon = highquality ? false : (opts.favicon ?? true);
  if (favicon) {
    // Windows paths are case-insensitive: libguestfs looks the name up that way there
    const path = os.name === 'windows' ? await caseInsensitive(files, ['etc', 'favicon.png']) : '/etc/favicon.png';
    const icon = path ? await png(files, path, 0) : undefined;
    if (icon) return icon;
  }
  const logo = logoOf(os);
  if (!logo || (logo.lowQuality && highquality)) return undefined;
  for (const p of logo.paths) {
    const icon = await png(files, p, logo.maxBytes);
    if (icon) return icon;
  }
  return undefined;
}

/** The guest path whose components match `parts` ignoring case, if there is one. */
async function caseInsensitive(files: GuestFiles, parts: readonly string[]): Promise<string | undefined> {
  let dir = '';
  for (const part of parts) {
    let names: string[];
    try {
      names = await files.readdir(dir || '/');
    } catch {
      return undefined;
    }
    const hit = names.find((n) => n.toLowerCase() === part.toLowerCase());
    if (!hit) return undefined;
    dir = `${dir}/${hit}`;
  }
  return dir;
}
