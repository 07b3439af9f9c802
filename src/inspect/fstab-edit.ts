// Listing and editing /etc/fstab text for jfish's fstab-list / fstab-add / fstab-remove.
// Parsing is fstab.ts's parseFstab (same rules as inspection: comments and blank lines
// skipped, 2–6 fields, octal escapes decoded); this module only adds what editing needs:
// formatting an entry back (octal escapes for blanks and backslashes), canonical mountpoint
// comparison, and line-exact insertion / removal that keeps every other byte of the file.
// Pure: text in, text out; the guest I/O is the caller's.
import { JootError } from '../core/errors.js';
import { parseFstab, type FstabEntry } from './fstab.js';

export interface NewFstabEntry {
  spec: string;
  file: string;
  vfstype: string;
  options?: string;
  freq?: number;
  passno?: number;
}

/** fstab(5): blanks, newlines and backslashes inside a field are written as \NNN octal. */
export function escapeField(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** One entry as an fstab line (fields separated by one space, escaped), without a newline. */
export function formatEntry(e: Pick<FstabEntry, 'spec' | 'file' | 'vfstype' | 'options' | 'freq' | 'passno'>): string {
  return `${[e.spec, e.file, e.vfstype, e.options].map(escapeField).join(' ')} ${e.freq} ${e.passno}`;
}

/** "///usr//local/./" → "/usr/local"; non-absolute mountpoints (none, swap) stay as written. */
export function canonicalMountpoint(mp: string): string {
  if (!mp.startsWith('/')) return mp;
  const parts = mp.split('/').filter((c) => c !== '' && c !== '.');
  return `/${parts.join('/')}`;
}

/** The parsed entries, in file order, and parseFstab's warnings for lines it skipped. */
export function listFstab(text: string): { entries: FstabEntry[]; warnings: string[] } {
  return parseFstab(text);
}

/** Whether an entry takes no mountpoint (swap; "none"): several may coexist. */
function isMountless(e: { file: string; vfstype: string }): boolean {
  return !e.file.startsWith('/') || e.vfstype.split(',').includes('swap');
}

function checkField(value: string, what: string, opts: { blankOk?: boolean } = {}): void {
  if (value === '') throw new JootError('EINVAL', `${what} must not be empty`);
  if (value.includes('\0')) throw new JootError('EINVAL', `${what} must not contain a NUL byte`);
  if (!opts.blankOk && /[\s\\]/.test(value)) throw new JootError('EINVAL', `${what} must not contain blanks or backslashes: '${value}'`);
  if (value.startsWith('#')) throw new JootError('EINVAL', `${what} must not start with '#'`);
}

/** Validate a new entry (throws JootError with a one-line message) and fill in the defaults. */
export function checkNewEntry(n: NewFstabEntry): Omit<FstabEntry, 'line'> {
  checkField(n.spec, 'device', { blankOk: true });
  checkField(n.file, 'mountpoint', { blankOk: true });
  if (!n.file.startsWith('/') && n.file !== 'none' && n.file !== 'swap') {
    throw new JootError('EINVAL', `mountpoint must be an absolute path (or none / swap for swap): '${n.file}'`);
  }
  if (n.file.split('/').includes('..')) throw new JootError('EINVAL', `mountpoint must not contain '..': '${n.file}'`);
  checkField(n.vfstype, 'filesystem type');
  const options = n.options ?? 'defaults';
  checkField(options, 'options');
  const freq = n.freq ?? 0;
  const passno = n.passno ?? 0;
  for (const [v, what] of [
    [freq, 'freq'],
    [passno, 'passno'],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 999_999_999) throw new JootError('EINVAL', `${what} must be a non-negative integer`);
  }
  const file = n.file.startsWith('/') ? canonicalMountpoint(n.file) : n.file;
  return { spec: n.spec, file, vfstype: n.vfstype, options, freq, passno };
}

/** The entry already using `mountpoint` (canonically compared); the last one, as mount -a sees it. */
export function findByMountpoint(entries: readonly FstabEntry[], mountpoint: string): FstabEntry | undefined {
  const want = canonicalMountpoint(mountpoint);
  let found: FstabEntry | undefined;
  for (const e of entries) if (!isMountless(e) && canonicalMountpoint(e.file) === want) found = e;
  return found;
}

/**
 * The text with one entry appended. Refused (JootError naming the existing line) when the
 * mountpoint already has an entry, or, for swap, when the same device is already listed.
 * Every existing byte is kept; a final line without a newline gets one before the new line.
 */
export function addFstabEntry(text: string, n: NewFstabEntry): string {
  const e = checkNewEntry(n);
  const { entries } = parseFstab(text);
  const clash = isMountless(e) ? entries.find((x) => isMountless(x) && x.spec === e.spec) : findByMountpoint(entries, e.file);
  if (clash)
    throw new JootError('EINVAL', `${isMountless(e) ? e.spec : e.file} already has an entry: line ${clash.line}: ${formatEntry(clash)}`);
  const nl = text.includes('\r\n') && !/(^|[^\r])\n/.test(text) ? '\r\n' : '\n';
  const sep = text === '' || text.endsWith('\n') ? '' : nl;
  return `${text}${sep}${formatEntry(e)}${nl}`;
}

/**
 * The text without the entries whose mountpoint is `mountpoint` (or, for a mountpoint that is
 * not a path such as "none"/"swap", whose device is `mountpoint`). The removed lines go with
 * their line ending; nothing else changes. Error when nothing matches.
 */
export function removeFstabEntry(text: string, mountpoint: string): { text: string; removed: FstabEntry[] } {
  const { entries } = parseFstab(text);
  const want = canonicalMountpoint(mountpoint);
  const removed = entries.filter((e) =>
    mountpoint.startsWith('/') && !isMountless(e) ? canonicalMountpoint(e.file) === want : e.spec === mountpoint && isMountless(e),
  );
  if (removed.length === 0) throw new JootError('EINVAL', `no fstab entry for ${mountpoint}`);
  const drop = new Set(removed.map((e) => e.line));
  // the same line numbering as parseFstab: split on \n, 1-based
  const parts = text.split('\n');
  const kept: string[] = [];
  parts.forEach((p, i) => {
    if (!drop.has(i + 1)) kept.push(p);
  });
  let out = kept.join('\n');
  // the dropped last line had no newline: the line now last keeps its own
  if (drop.has(parts.length) && kept.length > 0) out += '\n';
  return { text: out, removed };
}
