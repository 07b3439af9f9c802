// inspect-get-icon's choice (src/inspect/icon.ts) on phony guest trees: the favicon, each
// distribution's logo path, libguestfs's size and geometry limits, highquality.
import { describe, expect, it } from 'vitest';
import { findIcon, pngSize } from '../../src/inspect/icon.js';
import { tinyPng } from '../../src/inspect/records/inspect-media.js';
import type { GuestFiles } from '../../src/inspect/types.js';

function tree(files: Record<string, Buffer>): GuestFiles {
  const get = (p: string) => {
    const b = files[p];
    if (!b) throw new Error(`${p}: No such file or directory`);
    return b;
  };
  const dirs = (p: string) => Object.keys(files).filter((f) => f.startsWith(p === '/' ? '/' : `${p}/`));
  return {
    isFile: async (p: string) => p in files,
    readHead: async (p: string, n: number) => get(p).subarray(0, n),
    readFile: async (p: string, o?: { maxBytes?: number }) => {
      const b = get(p);
      if (o?.maxBytes !== undefined && b.length > o.maxBytes) throw new Error(`${p}: too large`);
      return b;
    },
    readdir: async (p: string) => [...new Set(dirs(p).map((f) => f.slice(p === '/' ? 1 : p.length + 1).split('/')[0]!))],
  } as unknown as GuestFiles;
}

const debian = { name: 'linux', distro: 'debian', major_version: 12 };
const logo = tinyPng('logo');
const fav = tinyPng('fav');

describe('findIcon', () => {
  it("Debian's logo; the favicon first unless favicon:false or highquality", async () => {
    const files = tree({ '/usr/share/pixmaps/debian-logo.png': logo, '/etc/favicon.png': fav });
    expect(await findIcon(files, debian)).toEqual(fav);
    expect(await findIcon(files, debian, { favicon: false })).toEqual(logo);
    expect(await findIcon(files, debian, { highquality: true })).toEqual(logo);
  });

  it.each([
    ['fedora', 39, '/usr/share/icons/hicolor/96x96/apps/fedora-logo-icon.png'],
    ['rhel', 6, '/usr/share/pixmaps/redhat/shadowman-transparent.png'],
    ['centos', 7, '/usr/share/pixmaps/fedora-logo-sprite.png'],
    ['ubuntu', 22, '/usr/share/icons/gnome/24x24/places/ubuntu-logo.png'],
    ['ubuntu', 22, '/usr/share/help/C/ubuntu-help/figures/ubuntu-logo.png'],
    ['mageia', 9, '/usr/share/icons/mageia.png'],
    ['opensuse', 15, '/usr/share/icons/hicolor/24x24/apps/distributor.png'],
    ['voidlinux', 0, '/usr/share/void-artwork/void-logo.png'],
    ['altlinux', 10, '/usr/share/icons/hicolor/48x48/apps/altlinux.png'],
  ])('%s %i: %s', async (distro, major, path) => {
    expect(await findIcon(tree({ [path]: logo }), { name: 'linux', distro, major_version: major }, { favicon: false })).toEqual(logo);
  });

  it("Ubuntu's small logo is not high quality", async () => {
    const files = tree({ '/usr/share/icons/gnome/24x24/places/ubuntu-logo.png': logo });
    expect(await findIcon(files, { name: 'linux', distro: 'ubuntu', major_version: 22 }, { highquality: true })).toBeUndefined();
  });

  it('refuses what is no reasonable PNG: not a PNG, too small, too large a file', async () => {
    const tiny = Buffer.from(logo);
    tiny.writeUInt32BE(8, 16); // 8 pixels wide
    const big = Buffer.concat([logo, Buffer.alloc(4096)]); // over Debian's 2048-byte limit
    for (const b of [Buffer.from('not a png at all, really not'), tiny, big]) {
      expect(await findIcon(tree({ '/usr/share/pixmaps/debian-logo.png': b }), debian, { favicon: false })).toBeUndefined();
    }
  });

  it('Windows: the favicon found ignoring case, and no logo', async () => {
    const win = { name: 'windows', distro: 'windows', major_version: 10 };
    expect(await findIcon(tree({ '/ETC/Favicon.PNG': fav }), win)).toEqual(fav);
    expect(await findIcon(tree({}), win)).toBeUndefined();
  });

  it('pngSize reads the IHDR', () => {
    expect(pngSize(logo)).toEqual({ width: 16, height: 16 });
    expect(pngSize(Buffer.from('GIF89a'))).toBeUndefined();
  });
});
