// HiveNode: a key. A thin handle (hive + cell index) that reads the cells afresh on every
// call, so handles stay valid while the hive is edited (until their own key is deleted).
import { JootError } from '../core/errors.js';
import type { CellStore } from './cells.js';
import { NONE, REG_DWORD, REG_MULTI_SZ, REG_QWORD, REG_SZ, dateFromFiletime } from './format.js';
import { addChild, deleteKey, deleteValue, findChild, findValue, setValue, valueOffsets } from './edit.js';
import { NK, nkClass, nkData, nkName } from './keys.js';
import { readSubkeys } from './lists.js';
import { readSecurity } from './security.js';
import { HiveValue, encodeDword, encodeMultiString, encodeQword, encodeString } from './value.js';

/**
 * What a key handle needs of its hive: the Hive class (hive.ts) is one. Declared here, so that
 * node.ts does not import hive.ts, which imports node.ts.
 */
export interface NodeHive {
  readonly _store: CellStore;
  readonly rootOffset: number;
  _node(offset: number): HiveNode;
  _edit<T>(fn: () => T): T;
}

export class HiveNode {
  /** @internal */
  constructor(
    readonly hive: NodeHive,
    readonly offset: number,
  ) {}

  private get store() {
    return this.hive._store;
  }

  private field(f: number): number {
    return this.store.buf.readUInt32LE(nkData(this.store, this.offset) + f);
  }

  get name(): string {
    return nkName(this.store, this.offset);
  }

  /** nk flags (KEY_COMP_NAME, KEY_HIVE_ENTRY, …). */
  get flags(): number {
    return this.store.buf.readUInt16LE(nkData(this.store, this.offset) + NK.FLAGS);
  }

  /** Last-written time as a Windows FILETIME (100 ns since 1601). */
  get timestamp(): bigint {
    return this.store.buf.readBigUInt64LE(nkData(this.store, this.offset) + NK.TIME);
  }

  get lastWritten(): Date {
    return dateFromFiletime(this.timestamp);
  }

  get subkeyCount(): number {
    return this.field(NK.NSUB);
  }

  get valueCount(): number {
    return this.field(NK.NVAL);
  }

  className(): string | undefined {
    return nkClass(this.store, this.offset);
  }

  /** The self-relative security descriptor of the key (undefined when it has none). */
  security(): Buffer | undefined {
    const sk = this.field(NK.SK);
    return sk === NONE ? undefined : readSecurity(this.store, sk);
  }

  isRoot(): boolean {
    return this.offset === this.hive.rootOffset;
  }

  parent(): HiveNode | undefined {
    return this.isRoot() ? undefined : new HiveNode(this.hive, this.field(NK.PARENT));
  }

  /** Path from the root, components joined with \ ('' for the root). */
  path(): string {
    const parts: string[] = [];
    const seen = new Set<number>();
    for (let n: HiveNode | undefined = this; n && !n.isRoot(); n = n.parent()) {
      if (seen.has(n.offset)) throw new JootError('EFORMAT', 'hive: loop in the parent links of a key');
      seen.add(n.offset);
      parts.push(n.name);
    }
    return parts.reverse().join('\\');
  }

  children(): HiveNode[] {
    return readSubkeys(this.store, this.field(NK.SUBLIST)).map((o) => this.hive._node(o));
  }

  /** The subkey called `name`, compared case-insensitively as Windows does. */
  child(name: string): HiveNode | undefined {
    const o = findChild(this.store, this.offset, name);
    return o === NONE ? undefined : this.hive._node(o);
  }

  values(): HiveValue[] {
    return valueOffsets(this.store, this.offset).map((o) => new HiveValue(this.store, o));
  }

  /** The value called `name` ('' for the default value), case-insensitively. */
  value(name: string): HiveValue | undefined {
    const o = findValue(this.store, this.offset, name);
    return o === NONE ? undefined : new HiveValue(this.store, o);
  }

  // ---- writing -------------------------------------------------------------------------------

  /** A new subkey (EINVAL when one of that name exists). */
  addChild(name: string): HiveNode {
    return this.hive._edit(() => this.hive._node(addChild(this.store, this.offset, name)));
  }

  /** The subkey `name`, created when missing. */
  ensureChild(name: string): HiveNode {
    return this.child(name) ?? this.addChild(name);
  }

  /** Delete the subkey `name` and all below it; false when there was none. */
  deleteChild(name: string): boolean {
    const o = findChild(this.store, this.offset, name);
    if (o === NONE) return false;
    this.hive._edit(() => deleteKey(this.store, this.offset, o));
    return true;
  }

  /** Delete this key and all below it (not the root). */
  delete(): void {
    const p = this.parent();
    if (!p) throw new JootError('EINVAL', 'hive: the root key cannot be deleted');
    this.hive._edit(() => deleteKey(this.store, p.offset, this.offset));
  }

  /** Create or replace a value with raw data of any type. */
  setValue(name: string, type: number, data: Uint8Array): void {
    this.hive._edit(() => setValue(this.store, this.offset, name, type, data));
  }

  setString(name: string, s: string, type: number = REG_SZ): void {
    this.setValue(name, type, encodeString(s));
  }

  setMultiString(name: string, list: string[]): void {
    this.setValue(name, REG_MULTI_SZ, encodeMultiString(list));
  }

  setDword(name: string, n: number): void {
    this.setValue(name, REG_DWORD, encodeDword(n));
  }

  setQword(name: string, n: bigint | number): void {
    this.setValue(name, REG_QWORD, encodeQword(n));
  }

  /** Delete a value; false when there was none. */
  deleteValue(name: string): boolean {
    return this.hive._edit(() => deleteValue(this.store, this.offset, name));
  }
}
