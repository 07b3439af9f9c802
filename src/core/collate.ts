// The order of Intl.Collator('en') (what localeCompare(b, 'en') gives), without ICU for
// printable ASCII. Making the first collator loads ICU's collation data: ~10 ms and ~70 M
// instructions of a 75 ms `jfish --ro … list-filesystems` (LVM names, md arrays and kernel
// versions are sorted on every run). Names and versions are ASCII: here they are ordered by
// the same rules as ICU's root collation (which 'en' uses unchanged); anything else (another
// character, a very long string) goes to ICU. test/unit/collate.test.ts holds the two to the
// same answers.

/** Primary order of the printable ASCII symbols in ICU's root collation (all before digits and letters). */
const SYMBOLS = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$';
const DIGIT = 100;
const LETTER = 200;
// primary weight of each printable ASCII character; -1: not served here
const PRIMARY = new Int16Array(128).fill(-1);
for (const [i, ch] of [...SYMBOLS].entries()) PRIMARY[ch.charCodeAt(0)] = i;
for (let d = 0; d < 10; d++) PRIMARY[48 + d] = DIGIT + d;
for (let l = 0; l < 26; l++) {
  PRIMARY[97 + l] = LETTER + l;
  PRIMARY[65 + l] = LETTER + l;
}
// ICU splits digit runs longer than this into several numbers; such strings go to ICU
const MAX_FAST = 200;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;

function servedHere(s: string): boolean {
  if (s.length > MAX_FAST) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || PRIMARY[c] === -1) return false;
  }
  return true;
}

/** End of the digit run at i, and where its value starts (leading zeros skipped, one digit kept). */
function digitRun(s: string, i: number): [start: number, end: number] {
  let end = i;
  while (end < s.length && isDigit(s.charCodeAt(end))) end++;
  let start = i;
  while (start < end - 1 && s.charCodeAt(start) === 48) start++;
  return [start, end];
}

/** Walk both strings element by element (a character, or a whole number with `numeric`). */
function compareAscii(a: string, b: string, numeric: boolean, tertiary: boolean): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (numeric && isDigit(ca) && isDigit(cb)) {
      const [as, ae] = digitRun(a, i);
      const [bs, be] = digitRun(b, j);
      if (!tertiary) {
        if (ae - as !== be - bs) return ae - as < be - bs ? -1 : 1;
        for (let k = 0; k < ae - as; k++) {
          const d = a.charCodeAt(as + k) - b.charCodeAt(bs + k);
          if (d !== 0) return d < 0 ? -1 : 1;
        }
      }
      i = ae;
      j = be;
      continue;
    }
    if (tertiary) {
      // lower case before upper case; the primary pass found every other difference
      const ua = isUpper(ca);
      if (ua !== isUpper(cb)) return ua ? 1 : -1;
    } else if (PRIMARY[ca] !== PRIMARY[cb]) {
      return PRIMARY[ca]! < PRIMARY[cb]! ? -1 : 1;
    }
    i++;
    j++;
  }
  if (i < a.length) return 1;
  if (j < b.length) return -1;
  return 0;
}

const icu: { numeric?: Intl.Collator['compare']; text?: Intl.Collator['compare'] } = {};

function compare(a: string, b: string, numeric: boolean): number {
  if (!servedHere(a) || !servedHere(b)) {
    const key = numeric ? 'numeric' : 'text';
    icu[key] ??= new Intl.Collator('en', { numeric }).compare;
    return icu[key](a, b);
  }
  return compareAscii(a, b, numeric, false) || compareAscii(a, b, numeric, true);
}

/** a.localeCompare(b, 'en', { numeric: true }): names as people read them (md10 after md9, 6.10 after 6.9). */
export function compareNatural(a: string, b: string): number {
  return compare(a, b, true);
}

/** a.localeCompare(b, 'en'). */
export function compareText(a: string, b: string): number {
  return compare(a, b, false);
}
