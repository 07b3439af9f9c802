// Guest file access as the Session hands it out: what jfish's operations, inspection and the
// tools read and write guest files with, by guest path, symlinks resolved inside the guest.
// Callers depend on these interfaces, not on a class: today's one implementation works on the
// guest's filesystems mounted under a host directory (GuestReader, GuestWriter:
// mountedGuestFiles below); an in-process one can stand beside it.
import { GuestReader } from './guest-reader.js';
import { GuestWriter } from './guest-writer.js';
import type { GuestChild, GuestFileHandle, GuestNode } from './guest-node.js';
import type { GuestStat, MountInfo } from './types.js';
import type { GuestFilesystem } from './walk-guard.js';

export type { GuestChild, GuestFileHandle, GuestNode, NodeStat } from './guest-node.js';
export { isDirNode, isFileNode, isLinkNode, nodeType } from './guest-node.js';

/** Reading guest files. Messages name guest paths only. */
export interface GuestFileReader {
  /** A whole regular file (refused, not truncated, above `maxBytes`; 64 MiB by default). */
  readFile(guestPath: string, opts?: { maxBytes?: number }): Promise<Buffer>;
  /** The first `n` bytes of a regular file (fewer if it is shorter). */
  readHead(guestPath: string, n: number): Promise<Buffer>;
  readText(guestPath: string, opts?: { maxBytes?: number }): Promise<string>;
  /** Lines without their LF / CRLF terminators. */
  readLines(guestPath: string, opts?: { maxBytes?: number }): Promise<string[]>;
  /** A regular file opened for streaming (a FIFO or device node is refused, never opened). */
  openFile(guestPath: string): Promise<GuestFileHandle>;
  /** Entry names in byte order, without . and .. */
  readdir(guestPath: string): Promise<string[]>;
  stat(guestPath: string): Promise<GuestStat>;
  lstat(guestPath: string): Promise<GuestStat>;
  readlink(guestPath: string): Promise<string>;
  exists(guestPath: string): Promise<boolean>;
  isFile(guestPath: string): Promise<boolean>;
  isDir(guestPath: string): Promise<boolean>;

  // Nodes: how read-only operations walk trees on either engine. Errors name guest paths.
  /** The node a guest path names, resolved inside the guest (a final link followed unless `followLast: false`). */
  node(guestPath: string, opts?: { followLast?: boolean }): Promise<GuestNode>;
  /** A directory's entries in byte order of their names, lstat'ed; an entry that vanished meanwhile is left out. */
  children(dir: GuestNode): Promise<GuestChild[]>;
  /** One entry of a directory node, lstat'ed, looked up as the filesystem does (case-insensitively
   *  where it is); undefined when absent. A walk's step that costs no resolution from the root. */
  child(dir: GuestNode, name: string): Promise<GuestNode | undefined>;
  /** A symlink node's target as stored. */
  readlinkNode(link: GuestNode): Promise<Buffer>;
  /** A regular file node opened for reading (anything else refused, never opened). Caller closes it. */
  openNode(file: GuestNode): Promise<GuestFileHandle>;
  /** Extended attributes of each node (as getfattr names them), in the order asked; links not followed. */
  attrs(nodes: readonly GuestNode[], warn: (message: string) => void): Promise<Map<string, Buffer>[]>;
  /** Whether the host directory `hostDir` lies in the node's tree (only a kernel engine's guest is on the host). */
  holdsHostDir(n: GuestNode, hostDir: string): boolean;
  /** The filesystem a canonical guest path is on, for messages; undefined where not known. */
  filesystemOf(guestPath: string): GuestFilesystem | undefined;

  // Host paths, for the write side (tar-in, copy-in, edit, upload), which only the kernel
  // engine has: the node a guest path names, resolved inside the guest.
  /** The host path of a guest path (a final link followed inside the guest unless `followLast: false`). */
  resolve(guestPath: string, opts?: { followLast?: boolean }): Promise<string>;
  /** The host path of the parent directory, resolved inside the guest, and the last component. */
  resolveParent(guestPath: string): Promise<{ dir: string; name: string }>;
}

/** Writing guest files, with guestfish's file-command semantics. Refused (EPERM) in a read-only session. */
export interface GuestFileWriter {
  readonly isReadonly: boolean;
  write(guestPath: string, data: Buffer | string, opts?: { append?: boolean; mode?: number }): Promise<void>;
  /** Replace a file atomically (temp file + rename), keeping its mode and owner unless given. */
  writeAtomic(
    guestPath: string,
    data: Buffer | string,
    opts?: { mode?: number; uid?: number; gid?: number; beforeRename?: (tmpHostPath: string) => Promise<void> },
  ): Promise<void>;
  touch(guestPath: string): Promise<void>;
  mkdir(guestPath: string, opts?: { parents?: boolean; mode?: number }): Promise<void>;
  rm(guestPath: string, opts?: { recursive?: boolean; force?: boolean }): Promise<void>;
  rmdir(guestPath: string): Promise<void>;
  cp(src: string, dst: string, opts?: { archive?: boolean; recursive?: boolean }): Promise<void>;
  mv(src: string, dst: string): Promise<void>;
  chmod(mode: number, guestPath: string): Promise<void>;
  chown(uid: number, gid: number, guestPath: string, opts?: { follow?: boolean }): Promise<void>;
  symlink(target: string, linkpath: string, opts?: { force?: boolean }): Promise<void>;

  // Host paths (see GuestFileReader): for upload and tar-in.
  /** An existing node, parent resolved inside the guest, a final link not followed. */
  hostPathForWrite(guestPath: string): Promise<string>;
  /** A node to create (need not exist), parent resolved inside the guest, last component not followed. */
  hostPathForCreate(guestPath: string): Promise<string>;
  /** A node to change in place, a final symlink followed inside the guest (the result is never a link). */
  hostPathForUpdate(guestPath: string): Promise<{ host: string; exists: boolean }>;
}

/** Both halves, as the Session hands them out. */
export interface GuestFiles {
  readonly reader: GuestFileReader;
  readonly writer: GuestFileWriter;
}

/** The guest tree mounted under the host directory `sysroot`; the writer is made when first used.
 *  `mounts`: what is mounted where in it (for messages that name a filesystem). */
export function mountedGuestFiles(sysroot: string, opts: { readonly: () => boolean; mounts?: () => readonly MountInfo[] }): GuestFiles {
  const reader = new GuestReader(sysroot, { mounts: opts.mounts });
  let writer: GuestWriter | undefined;
  return {
    reader,
    get writer() {
      writer ??= new GuestWriter(reader, sysroot, { readonly: opts.readonly() });
      return writer;
    },
  };
}

/** A reader over a tree mounted at `hostDir` (e.g. one btrfs subvolume of a top-level mount). */
export function mountedGuestReader(hostDir: string): GuestFileReader {
  return new GuestReader(hostDir);
}
