// The in-process filesystem readers, chosen by blkid TYPE: one module per filesystem family,
// each in its own folder. A type no module reads is a one-line EUNSUPPORTED.
import { JootError } from '../../core/errors.js';
import type { ByteSource } from '../source.js';
import { btrfsModule } from './btrfs/index.js';
import { exfatModule } from './exfat/index.js';
import { extModule } from './ext/index.js';
import { fatModule } from './fat/index.js';
import { ntfsModule } from './ntfs/index.js';
import { iso9660Module } from './iso9660/index.js';
import { squashfsModule } from './squashfs/index.js';
import type { FileSystemModule, FileSystemReader, OpenOptions } from './types.js';
import { xfsModule } from './xfs/index.js';

export type {
  FileSystemModule,
  FileSystemReader,
  FsDirEntry,
  FsNode,
  FsStat,
  FsStatfs,
  FsSubvolume,
  OpenOptions,
  SiblingDevice,
} from './types.js';

/** Every reader module (each filesystem family adds itself here). */
export const FILESYSTEM_MODULES: readonly FileSystemModule[] = [
  extModule,
  xfsModule,
  btrfsModule,
  fatModule,
  exfatModule,
  ntfsModule,
  iso9660Module,
  squashfsModule,
];

/** The module that reads blkid TYPE `type`, if any. */
export function moduleFor(type: string): FileSystemModule | undefined {
  return FILESYSTEM_MODULES.find((m) => m.types.includes(type));
}

/**
 * Open the filesystem of blkid TYPE `type` on `source` (named `device` in messages); `opts`
 * lets a filesystem over several devices find its other members among the session's.
 */
export async function openFilesystem(source: ByteSource, type: string, device: string, opts?: OpenOptions): Promise<FileSystemReader> {
  const m = moduleFor(type);
  if (!m) throw new JootError('EUNSUPPORTED', `${device}: the userspace engine does not read ${type} filesystems`);
  return m.open(source, device, opts);
}
