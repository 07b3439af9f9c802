// A guest directory seen as the root of an OS: an ostree deployment
// (/ostree/deploy/STATEROOT/deploy/CHECKSUM.SERIAL) is the "/" of the system it boots, as a
// chroot there would show it. Paths given to this reader are resolved component by component
// against the subtree: a symlink's absolute target starts again at the subtree's root, ".." never
// climbs above it (so /etc/os-release -> ../usr/lib/os-release, or an absolute /usr/... link,
// stays inside the deployment). The resolved path, free of symlinks, is then read through the
// session's reader. Hops are bounded as the kernel bounds them (40).
import { JootError } from '../core/errors.js';
import type { GuestFiles } from './types.js';

const MAX_HOPS = 40;

function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

export class SubtreeFiles implements GuestFiles {
  /** @param base the session's reader; @param dir the subtree's root, an absolute guest path */
  constructor(
    private readonly base: GuestFiles,
    private readonly dir: string,
  ) {}

  private physical(inner: string[]): string {
    const top = this.dir === '/' ? '' : this.dir.replace(/\/+$/, '');
    return inner.length === 0 ? top || '/' : `${top}/${inner.join('/')}`;
  }

  private async linkOf(inner: string[]): Promise<string | undefined> {
    return this.base.readlink(this.physical(inner)).catch(() => undefined);
  }

  /** The subtree-relative components `p` names, every symlink resolved (the last one too unless
   *  `followLast` is false). A missing component ends resolution: the rest is kept as written. */
  private async resolve(p: string, followLast: boolean): Promise<string[]> {
    const todo = components(p);
    const done: string[] = [];
    let hops = 0;
    while (todo.length > 0) {
      const c = todo.shift()!;
      if (c === '..') {
        done.pop();
        continue;
      }
      const cand = [...done, c];
      const last = todo.length === 0;
      const link = !last || followLast ? await this.linkOf(cand) : undefined;
      if (link === undefined) {
        done.push(c);
        continue;
      }
      if (++hops > MAX_HOPS) throw new JootError('EINVAL', `${p}: too many levels of symbolic links (inside ${this.dir})`);
      todo.unshift(...components(link));
      if (link.startsWith('/')) done.length = 0;
    }
    return done;
  }

  private async at(p: string, followLast = true): Promise<string> {
    return this.physical(await this.resolve(p, followLast));
  }

  async readFile(p: string, opts?: { maxBytes?: number }): Promise<Buffer> {
    return this.base.readFile(await this.at(p), opts);
  }
  async readHead(p: string, n: number): Promise<Buffer> {
    return this.base.readHead(await this.at(p), n);
  }
  async readText(p: string, opts?: { maxBytes?: number }): Promise<string> {
    return this.base.readText(await this.at(p), opts);
  }
  async readLines(p: string, opts?: { maxBytes?: number }): Promise<string[]> {
    return this.base.readLines(await this.at(p), opts);
  }
  async readdir(p: string): Promise<string[]> {
    return this.base.readdir(await this.at(p));
  }
  async readlink(p: string): Promise<string> {
    return this.base.readlink(await this.at(p, false));
  }
  async exists(p: string): Promise<boolean> {
    return this.base.exists(await this.at(p));
  }
  async isFile(p: string): Promise<boolean> {
    return this.base.isFile(await this.at(p));
  }
  async isDir(p: string): Promise<boolean> {
    return this.base.isDir(await this.at(p));
  }
  get openFile(): GuestFiles['openFile'] {
    const open = this.base.openFile?.bind(this.base);
    return open ? async (p: string) => open(await this.at(p)) : undefined;
  }
}
