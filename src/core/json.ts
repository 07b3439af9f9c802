// JSON from tools (qemu-img info, sfdisk --json, lvm reports) with its integers exact: JSON.parse
// turns 1152921504606846977 into the nearest double, so an integer literal outside the safe
// range is read as a bigint instead. Everything else parses as JSON.parse does.
import { nodeCrypto } from './lazy-node.js';

/** An integer literal (not part of a string, a fraction or an exponent) too long to be safe. */
const LONG_INTEGERS = /"(?:[^"\\]|\\.)*"|(-?\d{16,})(?![.eE\d])/g;

/** JSON.parse, with every integer beyond ±(2^53-1) a bigint. */
export function parseJsonExact(text: string): unknown {
  // the long literals become strings with a marker no input can know (random per call), which
  // JSON.parse's reviver turns into bigints
  let mark: string | undefined;
  const marked = text.replace(LONG_INTEGERS, (m, digits: string | undefined) =>
    digits === undefined ? m : `"${(mark ??= `bigint-${nodeCrypto().randomUUID()}:`)}${digits}"`,
  );
  if (mark === undefined) return JSON.parse(text);
  const known = mark;
  return JSON.parse(marked, (_k, v: unknown) => {
    if (typeof v !== 'string' || !v.startsWith(known)) return v;
    const n = BigInt(v.slice(known.length));
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  });
}

/** A size or offset from parseJsonExact (a number, a bigint, or missing) as a bigint. */
export function exactInteger(v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new Error(`${what}: not an integer: ${String(v)}`);
}
