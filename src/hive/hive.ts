// Hive: open a regf file from a buffer, walk and look up keys, edit, and serialize.
import { JootError } from '../core/errors.js';
import { newBaseBlock, readBaseBlock, writeBaseBlock } from './base-block.js';
import { CellStore } from './cells.js';
import { BASE, HBIN_ALIGN, HBIN_HEADER, KEY_HIVE_ENTRY, KEY_NO_DELETE, NONE } from './format.js';
import { nkData, newNk } from './keys.js';
import { subtree } from './edit.js';
import { HiveNode, type NodeHive } from './node.js';
import { defaultSecurityDescriptor, newSecurity } from './security.js';

export interface OpenOptions {
  /** Read a hive whose base block checksum is wrong (Windows would recover it from its logs). */
  ignoreChecksum?: boolean;
}

export class Hive implements NodeHive {
  /** @internal */
  readonly _store: CellStore;
  private root_: number;
  private modified = false;
  readonly major: number;
  readonly minor: number;
  /** Primary ≠ secondary sequence number: the hive was not cleanly written (logs not applied). */
  readonly dirty: boolean;

  private constructor(buf: Buffer, opts: OpenOptions) {
    const bb = readBaseBlock(buf, opts);
    this.major = bb.major;
    this.minor = bb.minor;
    this.dirty = bb.primarySeq !== bb.secondarySeq;
    this._store = new CellStore(buf, bb.binsSize);
    this._store.minor = bb.minor;
    this.root_ = bb.rootCell;
    nkData(this._store, this.root_); // the root must be a key
  }

  /** Parse a hive. The buffer is not modified (the first edit works on a copy). */
  static open(buf: Uint8Array, opts: OpenOptions = {}): Hive {
    const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    return new Hive(b, opts);
  }

  /** A new, empty hive (version 1.5): one hbin holding the root key and its security. */
  static create(rootName = 'ROOT'): Hive {
    const bins = Buffer.alloc(HBIN_ALIGN);
    bins.write('hbin', 0, 'latin1');
    bins.writeUInt32LE(HBIN_ALIGN, 8);
    bins.writeInt32LE(HBIN_ALIGN - HBIN_HEADER, HBIN_HEADER); // one free cell
    const store = new CellStore(Buffer.concat([newBaseBlock(NONE, HBIN_ALIGN), bins]), HBIN_ALIGN);
    const sk = newSecurity(store, defaultSecurityDescriptor());
    const root = newNk(store, rootName, NONE, sk, KEY_HIVE_ENTRY | KEY_NO_DELETE);
    const buf = store.touch();
    writeBaseBlock(buf, store.binsSize, root);
    return Hive.open(buf.subarray(0, BASE + store.binsSize));
  }

  /** @internal */
  get rootOffset(): number {
    return this.root_;
  }

  root(): HiveNode {
    return new HiveNode(this, this.root_);
  }

  /** @internal: a node handle, checked to be an nk. */
  _node(off: number): HiveNode {
    nkData(this._store, off);
    return new HiveNode(this, off);
  }

  /** @internal: run an edit, marking the hive modified. */
  _edit<T>(fn: () => T): T {
    this.modified = true;
    this._store.touch(); // the first write copies the caller's buffer, before anything changes
    return fn();
  }

  get modifiedSinceOpen(): boolean {
    return this.modified;
  }

  /** A key by path from the root (components separated by \ or /, case-insensitive). */
  lookup(path: string): HiveNode | undefined {
    let n: HiveNode | undefined = this.root();
    for (const part of splitPath(path)) {
      n = n.child(part);
      if (!n) return undefined;
    }
    return n;
  }

  /** Create every missing key along `path`; returns the last. */
  createKey(path: string): HiveNode {
    let n = this.root();
    for (const part of splitPath(path)) n = n.ensureChild(part);
    return n;
  }

  /** Delete the key at `path` and all below it; false when it does not exist. */
  deleteKey(path: string): boolean {
    const parts = splitPath(path);
    const last = parts.pop();
    if (last === undefined) throw new JootError('EINVAL', 'hive: the root key cannot be deleted');
    const parent = this.lookup(parts.join('\\'));
    return parent ? parent.deleteChild(last) : false;
  }

  /** Every key of the subtree at `start` (default: the whole hive), parents first. */
  *walk(start: HiveNode = this.root()): Generator<HiveNode> {
    for (const off of subtree(this._store, start.offset)) yield new HiveNode(this, off);
  }

  /** The hive file: sequence numbers equal and bumped, bins size and checksum updated. */
  serialize(): Buffer {
    const buf = this._store.touch();
    const out = Buffer.from(buf.subarray(0, BASE + this._store.binsSize));
    writeBaseBlock(out, this._store.binsSize, this.root_);
    return out;
  }
}

export function splitPath(path: string): string[] {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  if (parts.length > 512) throw new JootError('EINVAL', 'hive: key path deeper than 512 keys');
  return parts;
}
