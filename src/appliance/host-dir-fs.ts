// A FileSystemReader over a directory of the host where a kernel (or FUSE) mount shows a guest
// filesystem: what lets the in-process mount table hold a filesystem that no userspace reader
// reads (the kernel path as a fallback), and what tests compare the readers with. Every node is
// reached by name with lstat and never followed; files are opened O_NOFOLLOW. Path resolution
// stays the tree's (disk/fs/tree.ts), so a guest link never leads out of the guest here either.
import { promises as fsp, type BigIntStats } from 'node:fs';
import { JootError } from '../core/errors.js';
import { run } from '../core/run.js';
import type { FileSystemReader, FsDirEntry, FsNode, FsStat } from '../disk/fs/types.js';
import { guestFsError, READ_FLAGS, READ_WORDS } from './guest-path.js';

interface HostNode extends FsNode {
  readonly host: Buffer;
}

const join = (dir: Buffer, name: string): Buffer => Buffer.concat([dir, Buffer.from(`/${name}`)]);

function toStat(st: BigIntStats): FsStat {
  const rdev = Number(st.rdev);
  return {
    ino: Number(st.ino),
    mode: Number(st.mode),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    mtimeNs: st.mtimeNs,
    atimeNs: st.atimeNs,
    ctimeNs: st.ctimeNs,
    blocks: Number(st.blocks),
    rdevMajor: (Math.floor(rdev / 256) & 0xfff) | (Math.floor(rdev / 2 ** 32) & 0xfffff000),
    rdevMinor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00),
  };
}

/** The filesystem mounted at host directory `dir`, as a reader of `type` named `device`. */
export function hostDirFs(dir: string, type: string, device: string): FileSystemReader {
  const root: HostNode = { ino: 0, host: Buffer.from(dir) };
  const fail = (e: unknown, n: HostNode): JootError =>
    e instanceof JootError ? e : guestFsError(e, `${device}: inode ${n.ino}`, READ_WORDS);
  const lstat = async (n: HostNode): Promise<BigIntStats> => {
    try {
      return await fsp.lstat(n.host, { bigint: true });
    } catch (e) {
      throw fail(e, n);
    }
  };
  const node = (n: FsNode): HostNode => n as HostNode;
  return {
    type,
    device,
    servedBy: 'kernel',
    caseInsensitive: false,
    async root(opts) {
      if (opts?.subvolume !== undefined) throw new JootError('EUNSUPPORTED', `${device}: subvolumes of a host mount are not read here`);
      const st = await lstat(root);
      return { ino: Number(st.ino), space: st.dev, host: root.host } satisfies HostNode;
    },
    async stat(n) {
      return toStat(await lstat(node(n)));
    },
    async readdir(n): Promise<FsDirEntry[]> {
      const d = node(n);
      let names: string[];
      try {
        names = await fsp.readdir(d.host, 'utf8');
      } catch (e) {
        throw fail(e, d);
      }
      const out: FsDirEntry[] = [];
      for (const name of names) {
        const host = join(d.host, name);
        const st = await fsp.lstat(host, { bigint: true }).catch(() => undefined);
        if (st) {
          const child: HostNode = { ino: Number(st.ino), space: st.dev, host };
          out.push({ name, node: child });
        }
      }
      return out;
    },
    async lookup(n, name) {
      const host = join(node(n).host, name);
      try {
        const st = await fsp.lstat(host, { bigint: true });
        return { ino: Number(st.ino), space: st.dev, host } satisfies HostNode;
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT') return undefined;
        throw fail(e, node(n));
      }
    },
    async readlink(n) {
      try {
        return await fsp.readlink(node(n).host, 'utf8');
      } catch (e) {
        throw fail(e, node(n));
      }
    },
    async read(n, offset, length) {
      const h = node(n);
      let fh: fsp.FileHandle;
      try {
        fh = await fsp.open(h.host, READ_FLAGS);
      } catch (e) {
        throw fail(e, h);
      }
      try {
        const buf = Buffer.allocUnsafe(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return buf.subarray(0, got);
      } catch (e) {
        throw fail(e, h);
      } finally {
        await fh.close().catch(() => undefined);
      }
    },
    async listXattrs(n) {
      const out = new Map<string, Buffer>();
      const r = await run('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '--', node(n).host.toString()], {
        allowFailure: true,
      });
      for (const line of r.stdout.split('\n')) {
        const m = /^([^#=][^=]*)=0x([0-9a-f]*)$/.exec(line);
        if (m) out.set(m[1]!, Buffer.from(m[2]!, 'hex'));
      }
      return out;
    },
    async close() {},
  };
}
