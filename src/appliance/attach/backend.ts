// What every attach backend does: make one image (with its backing chain) appear as a host
// block device, registering everything it acquires on the session's cleanup stack.
import type { CleanupStack } from '../cleanup.js';
import type { ImageInfo } from '../image.js';
import type { BackendName } from '../types.js';

export interface AttachContext {
  stack: CleanupStack;
  /** private temp dir of the session (FUSE export files, sockets, pid files) */
  tmpdir: string;
  readonly: boolean;
  /** drive index, for unique file names */
  index: number;
}

export interface AttachedDisk {
  /** host whole-disk block device, e.g. /dev/loop3 or /dev/nbd0 */
  device: string;
  backend: BackendName;
  /** partitions already made visible by the backend (NBD: kernel scan) */
  kernelPartitions: boolean;
}

export interface AttachBackend {
  readonly name: BackendName;
  attach(image: ImageInfo, ctx: AttachContext): Promise<AttachedDisk>;
}
