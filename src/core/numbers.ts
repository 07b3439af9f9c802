// guestfish's integer arguments. guestfish reads every integer with gnulib's xstrtoll
// (sizes with xstrtoull) in base 0 and the suffixes "0kKMGTPEZY":
//
//   - C strtol base 0: optional leading whitespace and sign, then `0x`/`0X` hex, a leading
//     `0` octal (so 0777 is 511 and 08 is an error), or decimal;
//   - then optionally one of k K M G T P E Z Y (powers of 1024), which may be followed by
//     `B` (powers of 1000: 1KB = 1000, 1MB = 10^6) or `iB` (powers of 1024: 1MiB);
//     lower-case m/g/t, `b`, a bare `B` or anything else after the number is an error;
//   - sizes may not be negative; everything out of range is an error, never wrapped.
//
// Deliberate difference: gnulib reads a suffix with no digits before it (`M`) as 1M;
// here digits are required.
import { JootError } from './errors.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

const powers: Record<string, bigint> = { k: 1n, K: 1n, M: 2n, G: 3n, T: 4n, P: 5n, E: 6n, Z: 7n, Y: 8n };

const SUFFIX_HELP = 'k, K, M, G, T, P, E, Z or Y, optionally followed by B for powers of 1000 or iB for powers of 1024';

function bad(what: string, message: string): JootError {
  return new JootError('EINVAL', `${what}: ${message}`);
}

const isCSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

interface ScanOptions {
  suffixes: boolean;
  unsigned: boolean;
}

/** The exact value of `s`, before any range check. */
function scan(s: string, what: string, opts: ScanOptions): bigint {
  const shown = `'${s}'`;
  let i = 0;
  while (isCSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  if (negative && opts.unsigned) throw bad(what, `${shown} must not be negative`);

  let digits: RegExp;
  let prefix: string;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
    i += 2;
    digits = /[0-9a-fA-F]/;
    prefix = '0x';
  } else if (s[i] === '0') {
    digits = /[0-7]/;
    prefix = '0o';
  } else {
    digits = /[0-9]/;
    prefix = '';
  }
  const start = i;
  while (i < s.length && digits.test(s[i]!)) i++;
  if (i === start) throw bad(what, `${shown} is not a number`);
  let value = BigInt(prefix + s.slice(start, i));
  if (negative) value = -value;

  const rest = s.slice(i);
  if (rest === '') return value;
  if (prefix === '0o' && /^[89]/.test(rest)) {
    throw bad(what, `${shown} is not a number (a leading 0 means octal: only digits 0-7 may follow)`);
  }
  if (!opts.suffixes) throw bad(what, `${shown} is not an integer (unexpected '${rest}')`);
  const power = powers[rest[0]!];
  const tail = rest.slice(1);
  const base = tail === '' || tail === 'iB' ? 1024n : tail === 'B' ? 1000n : undefined;
  if (power === undefined || base === undefined) {
    throw bad(what, `${shown} has an unknown size suffix '${rest}' (use ${SUFFIX_HELP})`);
  }
  return value * base ** power;
}

function outOfRange(what: string, s: string, lo: bigint, hi: bigint): JootError {
  return bad(what, `'${s}' is out of range (${lo} to ${hi})`);
}

/**
 * A guestfish Int64 argument: base-0 integer with optional size suffix, in the signed
 * 64-bit range. Exact, as a bigint.
 */
export function parseInt64(s: string, what: string): bigint {
  const v = scan(s, what, { suffixes: true, unsigned: false });
  if (v < INT64_MIN || v > INT64_MAX) throw outOfRange(what, s, INT64_MIN, INT64_MAX);
  return v;
}

/** parseInt64's syntax, as a number: refused beyond ±Number.MAX_SAFE_INTEGER. */
export function parseSafeInt(s: string, what: string): number {
  const v = parseInt64(s, what);
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  if (v > max || v < -max) throw outOfRange(what, s, -max, max);
  return Number(v);
}

/** A guestfish Int argument: parseInt64's syntax, in the signed 32-bit range. */
export function parseInt32(s: string, what: string): number {
  const v = scan(s, what, { suffixes: true, unsigned: false });
  if (v < INT32_MIN || v > INT32_MAX) throw outOfRange(what, s, INT32_MIN, INT32_MAX);
  return Number(v);
}

/**
 * A size in bytes (guestfish parse_size: sparse, alloc, -N disk:SIZE): unsigned, with
 * the size suffixes (1G, 100M, 10k, 1MB, 4KiB). Refused above Number.MAX_SAFE_INTEGER.
 */
export function parseSize(s: string, what: string): number {
  const v = scan(s, what, { suffixes: true, unsigned: true });
  if (v > UINT64_MAX) throw outOfRange(what, s, 0n, UINT64_MAX);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw bad(what, `'${s}' is too large (at most ${Number.MAX_SAFE_INTEGER} bytes)`);
  }
  return Number(v);
}

/**
 * A file mode, read as guestfish reads chmod's mode: base 0, so write it with a leading
 * 0 (0644, 0o644 also works); `644` is decimal 644 = 01204, as in guestfish. No size
 * suffixes, no sign; 0 to 07777.
 */
export function parseMode(s: string, what = 'mode'): number {
  const v = /^0[oO][0-7]+$/.test(s) ? BigInt(`0o${s.slice(2)}`) : scan(s, what, { suffixes: false, unsigned: true });
  if (v > 0o7777n) throw bad(what, `'${s}' is out of range for a file mode (0 to 07777)`);
  return Number(v);
}
