// Typed, bounded reading of the LUKS2 JSON metadata: every field is checked for its type and
// range before use, so a hostile JSON area gives one EFORMAT line, never a TypeError.
import type { JootError } from '../../../core/errors.js';
import { clip } from './sector-cipher.js';

export type Bad = (what: string) => JootError;

export type Obj = Record<string, unknown>;

export function obj(v: unknown, what: string, bad: Bad): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} is not an object`);
  return v as Obj;
}

export function str(v: unknown, what: string, bad: Bad, maxLen = 256): string {
  if (typeof v !== 'string' || v.length > maxLen) throw bad(`${what} is not a string (of at most ${maxLen} characters)`);
  return v;
}

/** A JSON number that must be an integer in [min, max]. */
export function int(v: unknown, what: string, bad: Bad, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw bad(`${what} ${clip(String(v))} is not an integer in ${min}–${max}`);
  }
  return v;
}

/** LUKS2 writes 64-bit sizes and offsets as decimal strings; beyond 2^53 is refused. */
export function u64(v: unknown, what: string, bad: Bad): number {
  if (typeof v !== 'string' || !/^\d{1,20}$/.test(v)) throw bad(`${what} is not a decimal string`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw bad(`${what} ${v} is beyond 2^53`);
  return n;
}

export function b64(v: unknown, what: string, bad: Bad, maxBytes = 256): Buffer {
  const s = str(v, what, bad, Math.ceil(maxBytes / 3) * 4 + 4);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw bad(`${what} is not base64`);
  return Buffer.from(s, 'base64');
}

/** The entries of a LUKS2 object keyed by decimal ids ("0", "1", …), at most `max` of them. */
export function entries(v: unknown, what: string, bad: Bad, max: number): [number, Obj][] {
  const o = obj(v, what, bad);
  const keys = Object.keys(o);
  if (keys.length > max) throw bad(`${what}: ${keys.length} entries (at most ${max})`);
  return keys
    .map((k): [number, Obj] => {
      if (!/^\d{1,3}$/.test(k)) throw bad(`${what}: id "${clip(k)}" is not a small decimal number`);
      return [Number(k), obj(o[k], `${what} ${k}`, bad)];
    })
    .sort((a, b) => a[0] - b[0]);
}

/** An array of decimal id strings ("keyslots": ["0", "1"]). */
export function ids(v: unknown, what: string, bad: Bad, max: number): number[] {
  if (!Array.isArray(v) || v.length > max) throw bad(`${what} is not a list of at most ${max} ids`);
  return v.map((x) => {
    if (typeof x !== 'string' || !/^\d{1,3}$/.test(x)) throw bad(`${what}: ${clip(String(x))} is not an id`);
    return Number(x);
  });
}
