// An fscrypt directory read without the key, named as the kernel names it: each entry's
// ciphertext becomes a no-key name (nokey.ts) carrying the dirhash the kernel's readdir passes
// along — stored after the name in an encrypted casefolded directory, computed over the
// ciphertext where the kernel reads the directory as a hash tree (dir_index and an indexed,
// one-block or inline directory), 0 where it reads it linearly.
import type { ExtContext } from './context.js';
import type { RawDirent } from './dir.js';
import { dirHash } from './dirhash.js';
import { dxLeaves } from './htree.js';
import { FL_INDEX, FL_INLINE_DATA, type Inode } from './inode.js';
import { decodeNoKeyName, FSCRYPT_MIN_NAME, matchesNoKey, noKeyName } from './nokey.js';
import { COMPAT_DIR_INDEX } from './superblock.js';

export interface EncryptedEntry {
  ino: number;
  /** the directory block holding it */
  lblk?: number;
  /** the ciphertext as stored */
  cipher: Buffer;
  hash: number;
  noKey: string;
}

export interface EncryptedListing {
  entries: EncryptedEntry[];
  /** lookups go through the hash tree: a long no-key name's dirhash picks the blocks searched */
  indexed: boolean;
  /** the directory's blocks by logical number (its hash tree's index among them) */
  blocks: Map<number, Buffer>;
  /** encrypted and casefolded: the dirhash is keyed, so every no-key name's own is taken as given */
  hashGiven: boolean;
}

/** The ciphertext of '.' or '..' is not encrypted. */
const isDot = (n: Buffer) => (n.length === 1 && n[0] === 0x2e) || (n.length === 2 && n[0] === 0x2e && n[1] === 0x2e);

/** Name the entries `raw` of encrypted directory `dir`, whose blocks (none where inline) are `blocks`. */
export function encryptedEntries(
  ctx: ExtContext,
  dir: Inode,
  raw: RawDirent[],
  blocks: Map<number, Buffer>,
  casefold: boolean,
): EncryptedListing {
  const sb = ctx.sb;
  const indexed = (sb.compat & COMPAT_DIR_INDEX) !== 0 && (dir.flags & FL_INDEX) !== 0;
  const treeRead =
    (sb.compat & COMPAT_DIR_INDEX) !== 0 && (indexed || Math.floor(dir.size / sb.blockSize) === 1 || (dir.flags & FL_INLINE_DATA) !== 0);
  let version = sb.hashVersion;
  const first = blocks.get(0);
  if (indexed && first && first.length >= 0x20) {
    // the root's own hash version (dx_root_info after the '.' and '..' records)
    const v = first[0x1c]!;
    version = v <= 2 ? v + sb.hashUnsigned : v;
  }
  const entries: EncryptedEntry[] = [];
  for (const d of raw) {
    if (isDot(d.name)) continue;
    if (d.name.length < FSCRYPT_MIN_NAME) {
      throw ctx.error(
        'EFORMAT',
        `encrypted directory inode ${dir.ino}: a ${d.name.length}-byte name is shorter than fscrypt pads any name (EUCLEAN)`,
      );
    }
    let hash = 0;
    let minor = 0;
    if (casefold) {
      // ext4_hash_in_dirent: two words after the name, rounded up to 4 bytes
      const at = (8 + d.name.length + 3) & ~3;
      if (at + 8 > d.rec.length) throw ctx.error('EFORMAT', `encrypted directory inode ${dir.ino}: an entry has no room for its hash`);
      hash = d.rec.readUInt32LE(at);
      minor = d.rec.readUInt32LE(at + 4);
    } else if (treeRead) {
      const h = dirHash(d.name, version, sb.hashSeed);
      if (h) ({ hash, minor } = h);
    }
    entries.push({ ino: d.ino, lblk: d.lblk, cipher: d.name, hash, noKey: noKeyName(d.name, hash, minor) });
  }
  return { entries, indexed, blocks: indexed ? blocks : new Map(), hashGiven: casefold };
}

/** The inode a no-key `name` spelled otherwise than listed finds, as the kernel's lookup would. */
export function lookupNoKey(l: EncryptedListing, name: string): number | undefined {
  const q = decodeNoKeyName(name);
  if (!q) return undefined;
  // a whole ciphertext is hashed as stored, so the hash tree leads to it; a long name's dirhash
  // (any name's, where the hash is keyed) is taken as given: only the leaves it leads to are searched
  const given = q.kind === 'digest' || l.hashGiven;
  const leaves = given && l.indexed ? dxLeaves((b) => l.blocks.get(b), q.hash) : undefined;
  for (const e of l.entries) {
    if (leaves && (e.lblk === undefined || !leaves.includes(e.lblk))) continue;
    if (matchesNoKey(q, e.cipher)) return e.ino;
  }
  return undefined;
}

/** What readlink shows of an encrypted symlink whose stored bytes (i_block or first block) are `data`. */
export function encryptedLinkTarget(ctx: ExtContext, ino: number, data: Buffer): string {
  // fscrypt_symlink_data: a 16-bit ciphertext length, then the ciphertext
  const len = data.length >= 2 ? data.readUInt16LE(0) : 0;
  if (len === 0 || len + 2 > data.length)
    throw ctx.error('EFORMAT', `encrypted symlink inode ${ino}: bad ciphertext length ${len} (EUCLEAN)`);
  if (len < FSCRYPT_MIN_NAME) throw ctx.error('EFORMAT', `encrypted symlink inode ${ino}: a ${len}-byte ciphertext is too short (EUCLEAN)`);
  return noKeyName(data.subarray(2, 2 + len), 0, 0);
}
