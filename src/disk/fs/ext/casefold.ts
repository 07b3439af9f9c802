// The kernel's casefolded-name comparison (fs/unicode, utf8_casefold with the "nfdicf" table of
// Unicode 12.1, as Linux 6.13 and later build it: default-ignorable code points are ordinary
// characters): each code point is replaced, over and over, by its full case folding (C+F) or
// else its canonical decomposition; the result is put in canonical order. Code points the 12.1
// table does not know (assigned later, or never) stay as they are and order nothing around them.
// A name that is not valid UTF-8 has no folded form: the kernel compares it byte for byte.
import { FOLDS_12_1, PRESENT_12_1 } from './casefold-data.js';

let folds: Map<number, number[]> | undefined;
const starts: number[] = [];
const ends: number[] = [];

function load(): Map<number, number[]> {
  if (folds) return folds;
  folds = new Map();
  for (const e of FOLDS_12_1.join('').split(',')) {
    if (!e) continue;
    const [cp, to] = e.split(':') as [string, string];
    folds.set(
      Number.parseInt(cp, 16),
      to.split(' ').map((x) => Number.parseInt(x, 16)),
    );
  }
  for (const r of PRESENT_12_1.join('').split(',')) {
    if (!r) continue;
    const [a, b] = r.split('-') as [string, string | undefined];
    starts.push(Number.parseInt(a, 16));
    ends.push(Number.parseInt(b ?? a, 16));
  }
  return folds;
}

function present(cp: number): boolean {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < starts[mid]!) hi = mid - 1;
    else if (cp > ends[mid]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** The kernel's nfdicf mapping of one code point known to Unicode 12.1, appended to `out`. */
function expand(f: Map<number, number[]>, cp: number, out: number[]): void {
  const to = f.get(cp);
  if (to) {
    for (const c of to) expand(f, c, out);
    return;
  }
  if (cp < 0xc0) {
    out.push(cp);
    return;
  }
  // canonical decompositions of 12.1 characters are the same in the host's newer tables
  const d = String.fromCodePoint(cp).normalize('NFD');
  if (d.codePointAt(0) === cp) {
    out.push(cp);
    return;
  }
  for (const ch of d) expand(f, ch.codePointAt(0)!, out);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `name` folded as the kernel's utf8_casefold folds it; undefined where it is not valid UTF-8. */
export function kernelCasefold(name: Buffer): string | undefined {
  let s: string;
  try {
    s = utf8.decode(name);
  } catch {
    return undefined;
  }
  const f = load();
  const out: string[] = [];
  let run: number[] = [];
  // a run of 12.1 characters is put in canonical order by the host's NFD (it only reorders:
  // every code point in it is already fully decomposed and folded)
  const flush = () => {
    if (run.length > 0) out.push(String.fromCodePoint(...run).normalize('NFD'));
    run = [];
  };
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (present(cp)) {
      expand(f, cp, run);
    } else {
      flush();
      out.push(ch);
    }
  }
  flush();
  return out.join('');
}

/**
 * The key two names of a casefolded directory share exactly when the kernel takes them for the
 * same; undefined for a name that is not UTF-8 under the strict encoding flag (it matches nothing).
 */
export function casefoldKey(name: Buffer, strict: boolean): string | undefined {
  const folded = kernelCasefold(name);
  if (folded !== undefined) return `f${folded}`;
  return strict ? undefined : `b${name.toString('latin1')}`;
}
