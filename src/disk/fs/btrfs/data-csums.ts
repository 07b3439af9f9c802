// Data checksums: the checksum tree holds one checksum per sector of file data, in items keyed
// (EXTENT_CSUM, EXTENT_CSUM, first logical address) whose payload is the checksums of the
// sectors that follow. They tell a good copy of a mirrored extent from a bad one. A sector with
// no checksum (nodatasum files, preallocated space) passes; so does every sector of a
// filesystem whose checksum type this reader does not compute (xxhash64, blake2b).
import { nodeCrypto } from '../../../core/lazy-node.js';
import type { JootError } from '../../../core/errors.js';
import { crc32c } from '../../crc32.js';
import { num, ROOT_ITEM } from './format.js';
import type { Superblock } from './superblock.js';
import type { TreeRoot, Trees } from './tree.js';

const CSUM_TREE_OBJECTID = 7n;
const EXTENT_CSUM_OBJECTID = 0xfffffffffffffff6n; // -10
const EXTENT_CSUM = 128;
/** bytes per checksum, by checksum type: crc32c, xxhash64, sha256, blake2b */
const CSUM_SIZE = [4, 8, 32, 32];

type Fail = (code: 'EFORMAT', msg: string) => JootError;

export class DataCsums {
  private root: TreeRoot | null | undefined;

  constructor(
    private readonly trees: Trees,
    private readonly sb: Superblock,
    private readonly rootTree: TreeRoot,
    private readonly fail: Fail,
  ) {}

  /** Whether this reader can compute the filesystem's data checksums. */
  get verifiable(): boolean {
    return this.sb.csumType === 0 || this.sb.csumType === 2;
  }

  private sum(b: Buffer): Buffer {
    if (this.sb.csumType === 2) return nodeCrypto().createHash('sha256').update(b).digest();
    const c = Buffer.alloc(4);
    c.writeUInt32LE(crc32c(b));
    return c;
  }

  private async csumRoot(): Promise<TreeRoot | null> {
    if (this.root !== undefined) return this.root;
    let item: Buffer | undefined;
    await this.trees.walk(this.rootTree, { obj: CSUM_TREE_OBJECTID, type: ROOT_ITEM, off: 0n }, 'ge', (it) => {
      if (it.key.obj === CSUM_TREE_OBJECTID && it.key.type === ROOT_ITEM) item = Buffer.from(it.data);
      return false;
    });
    if (item && item.length < 239) throw this.fail('EFORMAT', 'root item of the checksum tree is truncated');
    const bad = (m: string) => this.fail('EFORMAT', m);
    this.root = item ? { bytenr: num(item.readBigUInt64LE(176), bad, 'checksum tree address'), level: item[238]! } : null;
    return this.root;
  }

  /**
   * The sectors of `data` (which starts at the sector-aligned logical address `logical`) whose
   * checksum is stored and does not match: their logical addresses; empty when all are good.
   */
  async bad(logical: number, data: Buffer): Promise<number[]> {
    const root = await this.csumRoot();
    if (!root || !this.verifiable) return [];
    const ss = this.sb.sectorSize;
    const size = CSUM_SIZE[this.sb.csumType]!;
    const end = logical + data.length;
    const out: number[] = [];
    await this.trees.walk(root, { obj: EXTENT_CSUM_OBJECTID, type: EXTENT_CSUM, off: BigInt(logical) }, 'le', (it) => {
      if (it.key.obj !== EXTENT_CSUM_OBJECTID || it.key.type !== EXTENT_CSUM) return it.key.obj < EXTENT_CSUM_OBJECTID;
      const start = num(it.key.off, (m) => this.fail('EFORMAT', m), 'checksum item address');
      if (start >= end) return false;
      if (start % ss !== 0) throw this.fail('EFORMAT', `checksum item at ${it.key.off} is not sector-aligned`);
      const n = Math.floor(it.data.length / size);
      // the sectors of this item that fall inside `data`
      const from = Math.max(start, logical);
      const to = Math.min(start + n * ss, end);
      for (let at = from; at < to; at += ss) {
        const i = (at - start) / ss;
        const want = it.data.subarray(i * size, (i + 1) * size);
        const sector = data.subarray(at - logical, at - logical + ss);
        if (!this.sum(sector).equals(want)) out.push(at);
      }
      return true;
    });
    return out;
  }
}
