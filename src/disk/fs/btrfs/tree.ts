// btrfs B-trees: nodes read through the chunk map (checksum, fsid, address and level checked; a
// bad copy, or one whose device cannot be read, falls back to the next copy on any present device), kept in a small LRU, and walked in key order. A walk
// checks that its keys strictly increase, which catches a pointer back into visited nodes, and
// counts the nodes it visits.
import type { JootError } from '../../../core/errors.js';
import { Lru } from '../../lru.js';
import { MAX_METADATA_VISITS } from '../limits.js';
import type { ChunkMap } from './chunks.js';
import type { BtrfsDevices } from './devices.js';
import { compareKeys, type Key, KEY_SIZE, num, readKey } from './format.js';
import { checksum, type Superblock } from './superblock.js';

const HEADER = 0x65;
const ITEM = 25;
const PTR = 33;
/** BTRFS_MAX_LEVEL is 8: levels 0..7 */
export const MAX_LEVEL = 7;
const CACHE_NODES = 512;

export interface TreeRoot {
  bytenr: number;
  level: number;
}

export interface Node {
  buf: Buffer;
  level: number;
  nritems: number;
  bytenr: number;
}

export interface Item {
  key: Key;
  data: Buffer;
}

type Fail = (code: 'EFORMAT' | 'EIO' | 'EUNSUPPORTED', msg: string) => JootError;

export class Trees {
  private cache = new Lru<number, Node>(CACHE_NODES);

  constructor(
    readonly devices: BtrfsDevices,
    private readonly sb: Superblock,
    readonly chunks: ChunkMap,
    private readonly fail: Fail,
  ) {}

  clear(): void {
    this.cache.clear();
  }

  async node(bytenr: number, level: number): Promise<Node> {
    const hit = this.cache.get(bytenr);
    if (hit) {
      if (hit.level !== level) throw this.fail('EFORMAT', `tree node ${bytenr} has level ${hit.level}, expected ${level}`);
      return hit;
    }
    const size = this.sb.nodeSize;
    if (bytenr % this.sb.sectorSize !== 0) throw this.fail('EFORMAT', `tree node address ${bytenr} is not aligned`);
    const m = this.chunks.map(bytenr);
    if (m.contiguous < size) throw this.fail('EFORMAT', `tree node ${bytenr} crosses a stripe`);
    // a copy that is bad or cannot be read: the next one (RAID1/10, DUP)
    let problem = '';
    let eio = false;
    for (const copy of this.devices.present(bytenr, m.copies)) {
      let buf: Buffer;
      try {
        buf = await this.devices.read(copy, size);
      } catch (e) {
        if (!(e instanceof Error && 'code' in e && e.code === 'EIO')) throw e;
        problem = `cannot be read (${copy.member.device}, offset ${copy.offset})`;
        eio = true;
        continue;
      }
      problem = this.check(buf, bytenr, level);
      if (problem) {
        eio = false;
        continue;
      }
      const n: Node = { buf, level, nritems: buf.readUInt32LE(0x60), bytenr };
      this.cache.set(bytenr, n);
      return n;
    }
    throw this.fail(eio ? 'EIO' : 'EFORMAT', `tree node ${bytenr} ${problem}`);
  }

  private check(b: Buffer, bytenr: number, level: number): string {
    const want = checksum(this.sb.csumType, b);
    if (want && !b.subarray(0, want.length).equals(want)) return 'has a bad checksum';
    if (!b.subarray(0x20, 0x30).equals(this.sb.metadataFsid)) return 'belongs to another filesystem';
    if (b.readBigUInt64LE(0x30) !== BigInt(bytenr)) return 'does not carry its own address';
    if (b[0x64] !== level) return `has level ${b[0x64]}, expected ${level}`;
    const n = b.readUInt32LE(0x60);
    const room = b.length - HEADER;
    if (level === 0) {
      if (n * ITEM > room) return `claims ${n} items`;
      for (let i = 0; i < n; i++) {
        const at = HEADER + i * ITEM + KEY_SIZE;
        const off = b.readUInt32LE(at);
        const sz = b.readUInt32LE(at + 4);
        if (off < n * ITEM || off + sz > room) return `item ${i} lies outside the node`;
      }
    } else if (n === 0 || n * PTR > room) return `claims ${n} pointers`;
    return '';
  }

  private key(n: Node, slot: number): Key {
    return readKey(n.buf, HEADER + slot * (n.level === 0 ? ITEM : PTR));
  }

  item(n: Node, slot: number): Item {
    const at = HEADER + slot * ITEM;
    const off = n.buf.readUInt32LE(at + KEY_SIZE);
    const sz = n.buf.readUInt32LE(at + KEY_SIZE + 4);
    return { key: readKey(n.buf, at), data: n.buf.subarray(HEADER + off, HEADER + off + sz) };
  }

  private child(n: Node, slot: number): Promise<Node> {
    const at = HEADER + slot * PTR + KEY_SIZE;
    const ptr = num(n.buf.readBigUInt64LE(at), (m) => this.fail('EFORMAT', m), 'tree pointer');
    return this.node(ptr, n.level - 1);
  }

  /** last slot whose key is <= k (-1 if none) */
  private lastLE(n: Node, k: Key): number {
    let lo = 0;
    let hi = n.nritems - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (compareKeys(this.key(n, mid), k) <= 0) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  /**
   * Items in key order from `start`: the first item >= start ('ge'), or the last item <= start
   * and on ('le', for extents that begin before an offset). `fn` returns false to stop.
   */
  async walk(root: TreeRoot, start: Key, mode: 'ge' | 'le', fn: (it: Item) => boolean | Promise<boolean>): Promise<void> {
    if (root.level > MAX_LEVEL) throw this.fail('EFORMAT', `tree root ${root.bytenr} has level ${root.level}`);
    let visits = 0;
    const visit = async (p: Promise<Node>): Promise<Node> => {
      if (++visits > MAX_METADATA_VISITS) throw this.fail('EFORMAT', `a tree walk visited more than ${MAX_METADATA_VISITS} nodes`);
      return p;
    };
    const stack: { node: Node; slot: number }[] = [];
    let node = await visit(this.node(root.bytenr, root.level));
    while (node.level > 0) {
      const slot = Math.max(0, this.lastLE(node, start));
      stack.push({ node, slot });
      node = await visit(this.child(node, slot));
    }
    let slot = this.lastLE(node, start);
    if (mode === 'le') slot = Math.max(0, slot);
    else if (slot < 0 || compareKeys(this.key(node, slot), start) < 0) slot++;
    let last: Key | undefined;
    for (;;) {
      for (; slot < node.nritems; slot++) {
        const it = this.item(node, slot);
        if (last && compareKeys(last, it.key) >= 0) throw this.fail('EFORMAT', `tree node ${node.bytenr}: keys out of order (a loop?)`);
        last = it.key;
        if (!(await fn(it))) return;
      }
      let up = stack.pop();
      while (up && up.slot + 1 >= up.node.nritems) up = stack.pop();
      if (!up) return;
      up.slot++;
      stack.push(up);
      node = await visit(this.child(up.node, up.slot));
      while (node.level > 0) {
        stack.push({ node, slot: 0 });
        node = await visit(this.child(node, 0));
      }
      slot = 0;
    }
  }

  /** The item with exactly key `k`, if any. */
  async get(root: TreeRoot, k: Key): Promise<Item | undefined> {
    let found: Item | undefined;
    await this.walk(root, k, 'ge', (it) => {
      if (compareKeys(it.key, k) === 0) found = it;
      return false;
    });
    return found;
  }
}
