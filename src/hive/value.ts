// HiveValue: one value of a key, decoded on demand. Also the encoders for typed data, shared
// by the writer API and the .reg merge.
import { JootError } from '../core/errors.js';
import type { CellStore } from './cells.js';
import { REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_EXPAND_SZ, REG_LINK, REG_MULTI_SZ, REG_QWORD, REG_SZ, typeName } from './format.js';
import { readData, vkName, vkSize, vkType } from './values.js';

export class HiveValue {
  /** @internal */
  constructor(
    private readonly store: CellStore,
    readonly offset: number,
  ) {}

  /** The value's name; '' is the key's default value (shown as @ in .reg files). */
  get name(): string {
    return vkName(this.store, this.offset);
  }

  /** The REG_* type number (any u32: unknown types are kept as they are). */
  get type(): number {
    return vkType(this.store, this.offset);
  }

  get typeName(): string {
    return typeName(this.type);
  }

  get size(): number {
    return vkSize(this.store, this.offset);
  }

  /** The raw data bytes (a copy). */
  get data(): Buffer {
    return readData(this.store, this.offset);
  }

  /** REG_SZ / REG_EXPAND_SZ / REG_LINK as text, up to the first NUL. */
  string(): string {
    const t = this.type;
    if (t !== REG_SZ && t !== REG_EXPAND_SZ && t !== REG_LINK) throw wrongType(this, 'a string');
    return decodeString(this.data);
  }

  /** REG_MULTI_SZ as its list of strings (without the terminating empty string). */
  multiString(): string[] {
    if (this.type !== REG_MULTI_SZ) throw wrongType(this, 'a multi-string');
    return decodeMultiString(this.data);
  }

  /** REG_DWORD (little-endian) or REG_DWORD_BIG_ENDIAN. */
  dword(): number {
    const t = this.type;
    const d = this.data;
    if ((t !== REG_DWORD && t !== REG_DWORD_BIG_ENDIAN) || d.length !== 4) throw wrongType(this, 'a dword');
    return t === REG_DWORD ? d.readUInt32LE(0) : d.readUInt32BE(0);
  }

  /** REG_QWORD. */
  qword(): bigint {
    const d = this.data;
    if (this.type !== REG_QWORD || d.length !== 8) throw wrongType(this, 'a qword');
    return d.readBigUInt64LE(0);
  }
}

function wrongType(v: HiveValue, what: string): JootError {
  return new JootError('EINVAL', `hive: value "${v.name}" is ${v.typeName} (${v.size} bytes), not ${what}`);
}

/** UTF-16LE up to the first NUL (odd trailing byte ignored). */
export function decodeString(data: Buffer): string {
  const s = data.toString('utf16le', 0, data.length & ~1);
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

export function decodeMultiString(data: Buffer): string[] {
  const parts = data.toString('utf16le', 0, data.length & ~1).split('\0');
  // The list ends at the first empty string (the double NUL).
  const end = parts.indexOf('');
  return end < 0 ? parts : parts.slice(0, end);
}

/** UTF-16LE with the terminating NUL, as Windows stores REG_SZ. */
export function encodeString(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf16le');
}

export function encodeMultiString(list: string[]): Buffer {
  return Buffer.from(`${list.map((s) => `${s}\0`).join('')}\0`, 'utf16le');
}

export function encodeDword(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

export function encodeQword(n: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(n)));
  return b;
}
