// The nodes GuestFileReader hands out for walking guest trees (guest-files.ts), on both engines,
// and the handle an opened guest file is read through.

/** An opened guest file, read in order or at positions (a host FileHandle is one). */
export interface GuestFileHandle {
  /** `position` null: from where the last read ended */
  read(buffer: Buffer, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

/**
 * lstat(2) of a guest node, in the shape of Node's BigIntStats (rdev in glibc's encoding). The
 * kernel engine's are the host's own; the userspace engine's come from the filesystem readers
 * (dev: one number per mount, blksize 4096 where a reader does not say).
 */
export interface NodeStat {
  dev: bigint;
  ino: bigint;
  /** st_mode, type bits included */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: bigint;
  size: bigint;
  blksize: bigint;
  blocks: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** A guest node reached by a guest path, for the operations that walk trees (find, ll, tar-out,
 *  copy-out…): what a reader hands out and takes back; each reader keeps its own handle inside. */
export interface GuestNode {
  /** canonical guest path (every link on the way resolved inside the guest), for messages */
  readonly path: string;
  readonly stat: NodeStat;
}

/** One entry of a directory: its name as stored (bytes) and its node, lstat'ed, never followed. */
export interface GuestChild {
  name: Buffer;
  node: GuestNode;
}

const S_IFMT = 0o170000;
/** The file type bits of a node's mode (S_IFDIR, S_IFREG, …). */
export const nodeType = (st: NodeStat): number => st.mode & S_IFMT;
export const isDirNode = (st: NodeStat): boolean => nodeType(st) === 0o040000;
export const isFileNode = (st: NodeStat): boolean => nodeType(st) === 0o100000;
export const isLinkNode = (st: NodeStat): boolean => nodeType(st) === 0o120000;
