// Oracles for the filesystems this host's kernel does not mount (vfat, iso9660), shared by the
// reader's own differential walks (fs-fat-diff, fs-iso9660-diff) and the walk over every
// fixture (fs-fixtures-diff): an independent tool extracts the whole tree onto the host, and
// the fields it cannot give as the kernel would are brought to the kernel's terms here.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../../src/disk/fs/types.js';
import { type Tree, walkHost } from './fs-tree.js';

const exec = promisify(execFile);

// ---- FAT: mtools ---------------------------------------------------------------------------------

/**
 * The tree of the FAT filesystem at byte `offset` of `image` as mtools extracts it (`mcopy -s
 * -m`: long names, contents, mtimes), walked without xattrs, in comparable() terms.
 */
export async function mtoolsTree(image: string, offset = 0): Promise<Tree> {
  const dir = await mkdtemp(path.join(tmpdir(), 'joot-fat-oracle-'));
  const img = offset ? `${image}@@${offset}` : image;
  const env = { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8', MTOOLS_SKIP_CHECK: '1' };
  try {
    // an empty root (a fresh ESP) is an empty tree: mcopy would say "::/*" is not found
    const { stdout: names } = await exec('mdir', ['-a', '-b', '-i', img, '::/'], { env, maxBuffer: 64 * 1024 * 1024 });
    if (names.trim() !== '') await exec('mcopy', ['-s', '-m', '-n', '-i', img, '::/*', `${dir}/`], { env, maxBuffer: 64 * 1024 * 1024 });
    // uid/gid: the extracted files are owned by whoever extracts (root here), as Linux's vfat
    // shows them (root:root) with default options
    return comparable(await walkHost(dir, { xattrs: false }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What the FAT oracles leave out by design: the permission bits (mtools extracts with the
 * host's umask, exfat-fuse shows 0777; the readers say 0755 as the Linux drivers do with umask
 * 022 — checked in the unit tests), so only the file type of st_mode is compared; and the root's
 * mtime (FAT and exFAT roots have none: Linux shows the epoch, the oracle its mountpoint).
 */
export function comparable(t: Tree): Tree {
  for (const e of t.values()) e.mode &= S_IFMT;
  const root = t.get('/');
  if (root) root.mtimeNs = 0n;
  return t;
}

// ---- ISO 9660: xorriso ---------------------------------------------------------------------------

export type IsoFlavour = 'rock' | 'joliet' | 'plain';

/** Which tree isofs shows by default, from what xorriso says the image offers. */
export async function isoFlavour(image: string): Promise<IsoFlavour> {
  const { stdout } = await exec('xorriso', ['-indev', image, '-toc'], { maxBuffer: 16 * 1024 * 1024 });
  const offers = /^ISO offers\s*:(.*)$/m.exec(stdout)?.[1] ?? '';
  return offers.includes('Rock_Ridge') ? 'rock' : offers.includes('Joliet') ? 'joliet' : 'plain';
}

/** The image extracted by xorriso (Rock Ridge, else Joliet, else plain names mapped as Linux does). */
export async function withIsoExtraction<T>(image: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'joot-iso-oracle-'));
  try {
    const out = path.join(dir, 't');
    await exec('xorriso', ['-osirrox', 'on', '-read_fs', 'any', '-ecma119_map', 'lowercase', '-indev', image, '-extract', '/', out], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return await fn(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Paths of the sockets and device nodes in the image (`-find / -type s|b|c`), which xorriso does not extract. */
export async function isoSpecials(image: string): Promise<[string, number][]> {
  const out: [string, number][] = [];
  for (const [t, mode] of [
    ['s', S_IFSOCK],
    ['b', S_IFBLK],
    ['c', S_IFCHR],
  ] as const) {
    const { stdout } = await exec('xorriso', ['-indev', image, '-find', '/', '-type', t], { maxBuffer: 64 * 1024 * 1024 });
    for (const l of stdout.split('\n')) if (l.startsWith("'")) out.push([l.slice(1, -1), mode]);
  }
  return out;
}

/**
 * Symlink permission bits as the image records them (`-find / -type l -exec lsdl`): an extracted
 * link cannot keep them (Linux has no lchmod; every host symlink is 0777), the kernel shows
 * Rock Ridge's. Set on the oracle's links.
 */
export async function isoSymlinkModes(image: string, tree: Tree): Promise<void> {
  const { stdout } = await exec('xorriso', ['-indev', image, '-find', '/', '-type', 'l', '-exec', 'lsdl'], { maxBuffer: 64 * 1024 * 1024 });
  for (const line of stdout.split('\n')) {
    const m = /^l([rwxsStT-]{9})\s.*? '(.*)' -> '.*'$/.exec(line);
    const e = m && tree.get(m[2]!);
    if (!m || !e) continue;
    let bits = 0;
    for (const [i, c] of [...m[1]!].entries()) if (c !== '-' && c !== 'S' && c !== 'T') bits |= 1 << (8 - i);
    e.mode = (e.mode & S_IFMT) | bits;
  }
}

/** The kernel's own attributes where the image has no Rock Ridge. */
export function isoKernelDefaults(tree: Tree): void {
  for (const e of tree.values()) {
    const type = e.mode & S_IFMT;
    e.mode = (type === S_IFDIR ? S_IFDIR : S_IFREG) | 0o555;
    e.uid = 0;
    e.gid = 0;
  }
}

/** The oracle's Joliet names as isofs shows them: trailing dots dropped from every component. */
export function isoKernelJolietNames(tree: Tree): Tree {
  const cut = (name: string): string => {
    let n = name;
    while (n.length >= 2 && n.endsWith('.')) n = n.slice(0, -1);
    return n;
  };
  const out: Tree = new Map();
  for (const [p, e] of tree)
    out.set(
      p === '/'
        ? p
        : p
            .split('/')
            .map((c, i) => (i === 0 ? c : cut(c)))
            .join('/'),
      e,
    );
  return out;
}

/**
 * Fields xorriso cannot give: symlink mtimes (it does not restore them with lutimes) and the
 * root's (it makes the root itself), copied over from the reader's so they compare equal.
 */
export function isoUnknowable(want: Tree, got: Tree): void {
  for (const [p, w] of want) {
    const g = got.get(p);
    if (!g) continue;
    if ((w.mode & S_IFMT) === S_IFLNK || p === '/') w.mtimeNs = g.mtimeNs;
  }
}

// ---- NTFS: ntfs-3g -------------------------------------------------------------------------------

/**
 * Junction targets as the reader gives them: ntfs-3g prefixes the mount point to the targets it
 * resolves on the volume (/mnt/x/dir, /mnt/x/.NTFS-3G/D:/…), the reader gives them guest-rooted
 * (/dir); the prefix is taken off the oracle's target and size.
 */
export function ntfs3gTargets(tree: Tree, mountpoint: string): void {
  for (const e of tree.values()) {
    if (!e.target?.startsWith(`${mountpoint}/`)) continue;
    e.target = e.target.slice(mountpoint.length);
    e.size -= mountpoint.length;
  }
}
