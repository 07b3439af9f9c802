// The allow-list for host files an image names in its headers (a backing file, a qcow2
// external data file, a vmdk extent): whoever made the image chose those names, so a name is
// only followed when it stays where the user already put their trust:
//   (a) the directory of the image that names it, or below;
//   (b) an image the user registered (joot image add) or named on purpose (a joot's base);
//   (c) a directory the user allows explicitly (--backing-dir, $JOOT_BACKING_DIRS, the
//       configuration's backing_dirs).
// The file must be a regular file (a FIFO would hang the open, a device is a host disk) and
// have one link (a hard link in the image's directory can alias a file from anywhere on that
// filesystem). All of this is decided with stat/realpath only: nothing named is opened here.
import { lstat, realpath } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { JootError } from '../../core/errors.js';
import { leaveSandboxToRead } from '../../core/sandbox.js';

export interface BackingAllowance {
  /** directories whose files may be named (rule c) */
  backingDirs?: readonly string[];
  /** image files that may be named wherever they are (rule b) */
  backingImages?: readonly string[];
  /**
   * Library override: skip the location, link-count and device checks (a FIFO or socket is
   * still refused: opening one would hang). No tool sets it.
   */
  allowUnsafeBacking?: boolean;
}

/** The environment's extra backing directories ($JOOT_BACKING_DIRS, colon-separated). */
export function envBackingDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.JOOT_BACKING_DIRS ?? '').split(':').filter((d) => d !== '');
}

export interface NamedRef {
  /** the image (as the user gave it, or a layer's path) that names the file, for messages */
  imageGiven: string;
  /** the naming image's real path: relative names resolve against its directory, as qemu does */
  imagePath: string;
  /** the header field, for messages: "backing file", "data file", "extent 2" */
  field: string;
  /** the name as written in the header */
  name: string;
}

function refuse(r: NamedRef, why: string): JootError {
  return new JootError('EPERM', `${r.imageGiven}: ${r.field} names ${r.name}, ${why}`);
}

function kindOf(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/** `dir` itself or below it (both real paths). */
function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);
}

async function realOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await realpath(p);
  } catch {
    return undefined;
  }
}

/**
 * Check one named path against the rule; its real path when allowed, else a one-line
 * JootError naming the image, the field and the path.
 */
export async function checkNamedPath(r: NamedRef, allow: BackingAllowance = {}): Promise<string> {
  const { name } = r;
  // qemu reads "proto:…" (nbd:, json:, file:, ssh:…) as a protocol, not as a file name
  if (name === '' || name.includes('\0') || (!isAbsolute(name) && /^[\w+.-]+:/.test(name))) {
    throw refuse(r, 'which is not a plain file name (refused)');
  }
  const abs = isAbsolute(name) ? name : join(dirname(r.imagePath), name);
  // Inside the sandbox this rule cannot even look at a file the command line did not name:
  // it runs again outside, where it decides (and may still refuse).
  const what = `${r.field} ${name} of ${r.imageGiven}`;
  leaveSandboxToRead(abs, what);
  let real: string;
  try {
    real = await realpath(abs);
  } catch {
    throw new JootError('ENOENT', `${r.imageGiven}: ${r.field} names ${name}, which does not exist`);
  }
  leaveSandboxToRead(real, what);
  const st = await lstat(real);
  const kind = kindOf(st);
  if (kind && (st.isFIFO() || st.isSocket() || st.isDirectory() || !allow.allowUnsafeBacking)) {
    throw refuse(r, `which is ${kind}, not a regular file (refused)`);
  }
  if (allow.allowUnsafeBacking) return real;
  const via = real !== resolve(abs) ? ` (a symlink to ${real})` : '';
  const imageDir = dirname(r.imagePath);
  const images = await Promise.all((allow.backingImages ?? []).map(realOrUndefined));
  if (images.includes(real)) return real; // chosen by the user by name: its links are theirs
  const dirs = await Promise.all([...(allow.backingDirs ?? []), ...envBackingDirs()].map(realOrUndefined));
  // an image in / would make every host file "below its directory": / does not count
  const inDir = (imageDir !== sep && under(real, imageDir)) || dirs.some((d) => d !== undefined && under(real, d));
  if (!inDir) {
    throw new JootError(
      'EPERM',
      `${r.imageGiven}: ${r.field} names ${name}${via}, outside the image's directory (refused; allow a directory with --backing-dir or JOOT_BACKING_DIRS)`,
    );
  }
  if (st.nlink > 1) {
    throw refuse(r, `which has ${st.nlink} hard links and may alias a file elsewhere (refused; keep one link)`);
  }
  return real;
}
