// Special files as ntfs-3g shows them with its default options: reparse points tagged
// IO_REPARSE_TAG_MOUNT_POINT (junctions) and IO_REPARSE_TAG_SYMLINK, and the Interix files
// ntfs-3g itself writes for symlinks, devices, FIFOs and sockets (system-flagged regular files).
import { MAX_SYMLINK_BYTES } from '../limits.js';

export const IO_REPARSE_TAG_MOUNT_POINT = 0xa0000003;
export const IO_REPARSE_TAG_SYMLINK = 0xa000000c;
const SYMLINK_FLAG_RELATIVE = 1;

export type ReparseTarget =
  /** a path on the volume (absolute, `\`-separated, without a drive); `drive` for the fallback */
  | { kind: 'absolute'; path: string; fallback: string }
  /** `\`-separated, relative to the link's directory */
  | { kind: 'relative'; path: string };

/**
 * What a junction or symlink reparse buffer points to, by ntfs-3g's rules; undefined where
 * ntfs-3g shows no symlink (another tag, a malformed buffer, a form it does not translate).
 */
export function parseReparse(b: Buffer, isDir: boolean): ReparseTarget | undefined {
  if (b.length < 8) return undefined;
  const tag = b.readUInt32LE(0);
  const dataLen = b.readUInt16LE(4);
  if (8 + dataLen > b.length) return undefined;
  let names: number;
  let flags = 0;
  if (tag === IO_REPARSE_TAG_MOUNT_POINT) {
    if (!isDir) return undefined;
    names = 16;
  } else if (tag === IO_REPARSE_TAG_SYMLINK) {
    if (dataLen < 12) return undefined;
    flags = b.readUInt32LE(16);
    names = 20;
  } else return undefined;
  if (dataLen < names - 8) return undefined;
  const subOff = b.readUInt16LE(8);
  const subLen = b.readUInt16LE(10);
  if (names + subOff + subLen > b.length || subLen % 2 || subLen > MAX_SYMLINK_BYTES * 2) return undefined;
  const t = b.toString('utf16le', names + subOff, names + subOff + subLen);
  const full = (s: string): ReparseTarget | undefined => {
    // \??\X:\path: the path is looked up on this volume, else under /.NTFS-3G/X:/path
    const m = /^\\\?\?\\([^\0]):\\(.*)$/s.exec(s);
    if (m) {
      const fb = `${m[1]!.toUpperCase()}:/${m[2]!.replaceAll('\\', '/')}`;
      return m[2] ? { kind: 'absolute', path: m[2], fallback: fb } : { kind: 'absolute', path: '', fallback: fb };
    }
    const v = /^\\\\\?\\(Volume\{.*\\)$/s.exec(s);
    if (v) return { kind: 'absolute', path: '\0', fallback: v[1]!.slice(0, -1).replaceAll('\\', '/') };
    return undefined;
  };
  if (tag === IO_REPARSE_TAG_MOUNT_POINT) return full(t);
  const relative = (flags & SYMLINK_FLAG_RELATIVE) !== 0;
  if (t.startsWith('\\?') || t.startsWith('\\\\')) return relative ? undefined : full(t);
  if (t.startsWith('\\') || t[1] === ':') {
    if (!relative) return undefined;
    if (t.startsWith('\\')) return { kind: 'absolute', path: t.slice(1), fallback: '' };
    const m = /^(.):\\(.*)$/s.exec(t);
    if (!m) return undefined;
    return { kind: 'absolute', path: m[2]!, fallback: `${m[1]!.toUpperCase()}:/${m[2]!.replaceAll('\\', '/')}` };
  }
  return relative ? { kind: 'relative', path: t } : undefined;
}

// Interix special files (ntfs-3g's own format): an 8-byte magic, then a UTF-16 target or a
// major/minor pair
export const INTX_SYMLINK = Buffer.from('IntxLNK\x01', 'latin1');
export const INTX_CHR = Buffer.from('IntxCHR\x00', 'latin1');
export const INTX_BLK = Buffer.from('IntxBLK\x00', 'latin1');
