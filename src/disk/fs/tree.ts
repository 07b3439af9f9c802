// A guest's directory tree inside the process: a mount table of filesystem readers and the one
// path resolver over it, with the guest-rooted semantics of a chroot — symlink targets are read
// inside the guest (absolute ones restart at the guest root, `..` never climbs above it), at
// most 40 link hops, and a directory that is a mount point shows the mounted filesystem's root.
// Nothing here touches a host path: the guest's names only ever index the readers.
//
// Error messages name the guest path only, in the words the host-side reader uses, so that
// both engines answer alike.
import { JootError } from '../../core/errors.js';
import { MAX_SYMLINK_HOPS, pushComponents } from './guest-path-parts.js';
import { S_IFDIR, S_IFLNK, S_IFMT, type FileSystemReader, type FsNode, type FsStat } from './types.js';

export interface TreeMount {
  /** canonical guest path of the mount point ('/' for the root) */
  readonly mountpoint: string;
  readonly fs: FileSystemReader;
  /** the directory shown at the mount point (a btrfs subvolume's root, or the filesystem's) */
  readonly root: FsNode;
  /** what was mounted, as the user named it (/dev/sda1, btrfsvol:/dev/sda2/@) */
  readonly device: string;
}

/** A node reached by resolving a guest path. */
export interface Located {
  mount: TreeMount;
  node: FsNode;
  stat: FsStat;
  /** canonical guest path of the node (links resolved as far as the walk followed them) */
  path: string;
}

const isDir = (st: FsStat): boolean => (st.mode & S_IFMT) === S_IFDIR;
const isLink = (st: FsStat): boolean => (st.mode & S_IFMT) === S_IFLNK;

const childPath = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

export class GuestTree {
  /** mount point → mounts stacked there, last mounted on top */
  private readonly table = new Map<string, TreeMount[]>();

  /** The mounts, in the order they were made (what `mounts` lists). */
  get mounts(): TreeMount[] {
    const all: TreeMount[] = [];
    for (const stack of this.table.values()) all.push(...stack);
    return all;
  }

  /** The mount shown at a canonical path, if one is there. */
  mountAt(path: string): TreeMount | undefined {
    const stack = this.table.get(path);
    return stack?.[stack.length - 1];
  }

  /**
   * Mount `fs` (its `root`) on `mountpoint`, which must be '/' for the first mount and an
   * existing directory of the tree otherwise (resolved inside the guest, as mount(8) would).
   */
  async mount(mountpoint: string, fs: FileSystemReader, root: FsNode, device: string): Promise<TreeMount> {
    let at = '/';
    if (mountpoint !== '/' || this.table.size > 0) {
      if (this.table.size === 0) throw new JootError('EINVAL', `mount: ${mountpoint}: the root filesystem must be mounted first`);
      const where = await this.locate(mountpoint, true, `mount: ${mountpoint}`);
      if (!isDir(where.stat)) throw new JootError('EINVAL', `mount: ${mountpoint}: Not a directory`);
      at = where.path;
    }
    const m: TreeMount = { mountpoint: at, fs, root, device };
    this.table.set(at, [...(this.table.get(at) ?? []), m]);
    return m;
  }

  /** Remove the top mount at `mountpoint` (and everything mounted below it); returns what was removed. */
  umount(mountpoint: string): TreeMount[] {
    const stack = this.table.get(mountpoint);
    if (!stack?.length) return [];
    const top = stack.pop()!;
    if (stack.length === 0) this.table.delete(mountpoint);
    const removed = [top];
    const prefix = mountpoint === '/' ? '/' : `${mountpoint}/`;
    for (const [p, s] of [...this.table]) {
      if (p !== mountpoint && p.startsWith(prefix)) {
        removed.push(...s.reverse());
        this.table.delete(p);
      }
    }
    return removed;
  }

  /** Every mount, deepest last-mounted first (the order to release them in). */
  clear(): TreeMount[] {
    const all = this.mounts.sort((a, b) => b.mountpoint.length - a.mountpoint.length);
    this.table.clear();
    return all;
  }

  /**
   * Resolve a guest path. `followLast`: a final symlink is followed too. `display` names the
   * path in errors (default: the path itself).
   */
  async locate(guestPath: string, followLast: boolean, display: string = guestPath): Promise<Located> {
    const rootMount = this.mountAt('/');
    if (!rootMount) throw new JootError('EINVAL', `${display}: no filesystem is mounted`);
    const pending: string[] = [];
    pushComponents(pending, guestPath);
    const top = await this.atMount(rootMount, '/', display);
    // the nodes of the path walked so far, root first
    const walked: Located[] = [top];
    let hops = 0;
    while (pending.length > 0) {
      const name = pending.pop()!;
      const cur = walked[walked.length - 1]!;
      if (name === '.') continue;
      if (name === '..') {
        if (walked.length > 1) walked.pop();
        continue;
      }
      const node = await this.wrap(display, () => cur.mount.fs.lookup(cur.node, name));
      if (!node) throw new JootError('ENOENT', `${display}: No such file or directory`, { guestPath: display });
      const path = childPath(cur.path, name);
      const mounted = this.mountAt(path);
      const next = mounted ? await this.atMount(mounted, path, display) : await this.at(cur.mount, node, path, display);
      if (isLink(next.stat) && (pending.length > 0 || followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new JootError('EINVAL', `${display}: too many levels of symbolic links`, { guestPath: display });
        }
        const target = await this.wrap(display, () => next.mount.fs.readlink(next.node, { follow: true }));
        if (target === '') throw new JootError('ENOENT', `${display}: No such file or directory`, { guestPath: display });
        if (target.startsWith('/')) walked.length = 1;
        pushComponents(pending, target);
        continue;
      }
      if (pending.length > 0 && !isDir(next.stat)) {
        throw new JootError('EINVAL', `${display}: Not a directory`, { guestPath: display });
      }
      walked.push(next);
    }
    return walked[walked.length - 1]!;
  }

  private async at(mount: TreeMount, node: FsNode, path: string, display: string): Promise<Located> {
    return { mount, node, path, stat: await this.wrap(display, () => mount.fs.stat(node)) };
  }

  private atMount(mount: TreeMount, path: string, display: string): Promise<Located> {
    return this.at(mount, mount.root, path, display);
  }

  /** A reader's error, with the guest path in front (readers know inodes, not paths). */
  async wrap<T>(display: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof JootError) {
        if (e.guestPath !== undefined) throw e;
        throw new JootError(e.code, `${display}: ${e.message}`, { ...e.facts(), guestPath: display, cause: e });
      }
      throw new JootError('EIO', `${display}: ${e instanceof Error ? e.message : String(e)}`, { guestPath: display, cause: e });
    }
  }
}
