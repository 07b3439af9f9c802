// Constants of the regf format (Windows registry hive files) and the one error helper the
// hive code throws. Offsets inside the hive are "cell indexes": relative to the start of the
// hive bins data, i.e. file offset - 4096 (BASE). Layouts follow msuhanov's regf specification.
import { JootError } from '../core/errors.js';

/** Size of the base block; every cell index is relative to the byte after it. */
export const BASE = 4096;
/** Hive bins are multiples of this (and so is the hive bins data size). */
export const HBIN_ALIGN = 4096;
/** Size of an hbin header. */
export const HBIN_HEADER = 32;
/** "No cell" in every offset field. */
export const NONE = 0xffffffff;

/** Data bigger than this is split into db segments (hive version 1.4 and later). */
export const BIG_DATA_SEGMENT = 16344;
/** Windows' CM_MAX_INDEX: a subkey leaf holding more entries is split under an ri. */
export const MAX_LEAF = 1012;
/** Longest key name (characters) and value name (characters) Windows accepts. */
export const MAX_KEY_NAME = 255;
export const MAX_VALUE_NAME = 16383;

// nk flags
export const KEY_VOLATILE = 0x0001;
export const KEY_HIVE_EXIT = 0x0002;
export const KEY_HIVE_ENTRY = 0x0004;
export const KEY_NO_DELETE = 0x0008;
export const KEY_SYM_LINK = 0x0010;
export const KEY_COMP_NAME = 0x0020;
// vk flags
export const VALUE_COMP_NAME = 0x0001;
/** vk data size high bit: the data (4 bytes or less) sits in the data offset field. */
export const DATA_INLINE = 0x80000000;

export const REG_NONE = 0;
export const REG_SZ = 1;
export const REG_EXPAND_SZ = 2;
export const REG_BINARY = 3;
export const REG_DWORD = 4;
export const REG_DWORD_BIG_ENDIAN = 5;
export const REG_LINK = 6;
export const REG_MULTI_SZ = 7;
export const REG_RESOURCE_LIST = 8;
export const REG_FULL_RESOURCE_DESCRIPTOR = 9;
export const REG_RESOURCE_REQUIREMENTS_LIST = 10;
export const REG_QWORD = 11;

const TYPE_NAMES: Record<number, string> = {
  0: 'REG_NONE',
  1: 'REG_SZ',
  2: 'REG_EXPAND_SZ',
  3: 'REG_BINARY',
  4: 'REG_DWORD',
  5: 'REG_DWORD_BIG_ENDIAN',
  6: 'REG_LINK',
  7: 'REG_MULTI_SZ',
  8: 'REG_RESOURCE_LIST',
  9: 'REG_FULL_RESOURCE_DESCRIPTOR',
  10: 'REG_RESOURCE_REQUIREMENTS_LIST',
  11: 'REG_QWORD',
};

/** REG_SZ etc., or `0x…` for types Windows has no name for (kept as raw bytes anyway). */
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `0x${type.toString(16)}`;
}

/** Signatures as little-endian u16, so a cell's kind is one readUInt16LE. */
export const SIG_NK = 0x6b6e; // "nk"
export const SIG_VK = 0x6b76; // "vk"
export const SIG_SK = 0x6b73; // "sk"
export const SIG_LF = 0x666c; // "lf"
export const SIG_LH = 0x686c; // "lh"
export const SIG_LI = 0x696c; // "li"
export const SIG_RI = 0x6972; // "ri"
export const SIG_DB = 0x6264; // "db"

/** A corrupt or hostile hive: always a one-line EFORMAT, never a RangeError. */
export function bad(message: string): never {
  throw new JootError('EFORMAT', `hive: ${message}`);
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Windows FILETIME (100 ns ticks since 1601) for a JS time. */
export function filetimeFromDate(ms: number = Date.now()): bigint {
  return BigInt(Math.round(ms)) * 10000n + 116444736000000000n;
}

export function dateFromFiletime(ft: bigint): Date {
  return new Date(Number((ft - 116444736000000000n) / 10000n));
}
