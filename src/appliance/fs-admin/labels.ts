// Label rules per filesystem, checked before anything is written: most tools silently
// truncate a long label (mke2fs, e2label, xfs_admin, mkswap, swaplabel, ntfslabel all do),
// and a truncated label is worse than an error. The limits are what the on-disk format holds
// and the tools of this host can write.
import { JootError } from '../../core/errors.js';
import { normalizeFsType, type FsType } from './types.js';

export interface LabelRule {
  max: number;
  /** what `max` counts */
  unit: 'bytes' | 'characters' | 'UTF-16 units';
}

export const LABEL_RULES: Record<FsType, LabelRule> = {
  ext2: { max: 16, unit: 'bytes' },
  ext3: { max: 16, unit: 'bytes' },
  ext4: { max: 16, unit: 'bytes' },
  xfs: { max: 12, unit: 'bytes' },
  // 256 bytes on disk, but btrfs-progs (6.2) keeps only 254 of a 255-byte label
  btrfs: { max: 254, unit: 'bytes' },
  // 11 bytes in the DOS code page; only printable ASCII gets through mkfs.fat here
  vfat: { max: 11, unit: 'characters' },
  ntfs: { max: 128, unit: 'UTF-16 units' },
  // the header has 16 bytes, but mkswap and swaplabel keep a NUL in them: 15 survive
  swap: { max: 15, unit: 'bytes' },
};

// mkfs.fat and fatlabel refuse these (dosfstools 4.2)
const FAT_FORBIDDEN = /[*?.,;:/\\|+=<>[\]"]/;

function measure(label: string, unit: LabelRule['unit']): number {
  if (unit === 'bytes') return Buffer.byteLength(label, 'utf8');
  if (unit === 'UTF-16 units') return label.length;
  return [...label].length;
}

/**
 * Throw EINVAL when `label` cannot be given to a `type` filesystem as it is; returns the
 * canonical type. The empty label is valid (it clears the label).
 */
export function validateLabel(type: string, label: string): FsType {
  const t = normalizeFsType(type);
  const rule = LABEL_RULES[t];
  if (label.includes('\0')) throw new JootError('EINVAL', `${t} label must not contain a NUL character`);
  const n = measure(label, rule.unit);
  if (n > rule.max) throw new JootError('EINVAL', `${t} labels are limited to ${rule.max} ${rule.unit} ('${label}' has ${n})`);
  if (t === 'vfat' && label !== '') {
    if (/[^\x20-\x7e]/.test(label)) throw new JootError('EINVAL', `vfat labels may hold printable ASCII characters only`);
    if (FAT_FORBIDDEN.test(label)) throw new JootError('EINVAL', `vfat labels must not contain any of *?.,;:/\\|+=<>[]"`);
    if (label.startsWith(' ')) throw new JootError('EINVAL', `vfat labels must not start with a space`);
  }
  return t;
}

/**
 * Labels that the label-changing tool of an existing filesystem cannot pass on, though mkfs
 * can: xfs_admin hands the label to xfs_db's command parser, which splits at spaces and keeps
 * quotes, and reads "--" as "clear the label".
 */
export function validateRelabel(type: string, label: string): FsType {
  const t = validateLabel(type, label);
  if (t === 'xfs' && (/[\s"']/.test(label) || label === '--'))
    throw new JootError(
      'EUNSUPPORTED',
      `xfs_admin cannot set an xfs label containing spaces or quotes (mkfs can: make the filesystem with the label instead)`,
    );
  return t;
}
