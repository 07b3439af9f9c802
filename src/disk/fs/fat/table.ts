// The file allocation table: one entry per cluster, each the next cluster of its chain. Chains
// are followed with a bound (a chain longer than the volume has clusters is a loop) and every
// value is checked before it is used as a cluster number.
import { Lru } from '../../lru.js';
import type { Volume } from './volume.js';

/** What the table needs of a volume's geometry. */
export interface TableGeometry {
  bits: 12 | 16 | 32;
  fatOffset: number;
  clusterCount: number;
}

export class FatTable {
  private readonly chains = new Lru<number, Uint32Array>(256);
  /** entries at or above this end a chain */
  private readonly eoc: number;
  private readonly bad: number;

  /** 32-bit entries use all 32 bits on exFAT, the low 28 on FAT32 */
  private readonly mask: number;

  constructor(
    private readonly vol: Volume,
    private readonly geo: TableGeometry,
    exfat = false,
  ) {
    this.mask = exfat ? 0xffffffff : 0x0fffffff;
    this.eoc = geo.bits === 12 ? 0xff8 : geo.bits === 16 ? 0xfff8 : exfat ? 0xfffffff8 : 0x0ffffff8;
    this.bad = this.eoc - 1;
  }

  /** The raw entry of `cluster`. */
  async entry(cluster: number): Promise<number> {
    const { bits, fatOffset } = this.geo;
    if (bits === 32) return ((await this.vol.readCached(fatOffset + cluster * 4, 4)).readUInt32LE(0) & this.mask) >>> 0;
    if (bits === 16) return (await this.vol.readCached(fatOffset + cluster * 2, 2)).readUInt16LE(0);
    const off = Math.floor((cluster * 3) / 2);
    const v = (await this.vol.readCached(fatOffset + off, 2)).readUInt16LE(0);
    return cluster & 1 ? v >> 4 : v & 0xfff;
  }

  isValidCluster(c: number): boolean {
    return c >= 2 && c <= this.geo.clusterCount + 1;
  }

  /** Every cluster of the chain starting at `first` (0: an empty chain). */
  async chain(first: number, what: string): Promise<Uint32Array> {
    if (first === 0) return new Uint32Array(0);
    const cached = this.chains.get(first);
    if (cached) return cached;
    if (!this.isValidCluster(first)) throw this.vol.corrupt(`${what} starts at cluster ${first}, outside the volume`);
    const out: number[] = [];
    let c = first;
    for (;;) {
      out.push(c);
      if (out.length > this.geo.clusterCount) throw this.vol.corrupt(`${what}: the cluster chain loops (at cluster ${c})`);
      const next = await this.entry(c);
      if (next >= this.eoc) break;
      if (next === this.bad) throw this.vol.corrupt(`${what}: the cluster chain runs into a bad cluster (after ${c})`);
      if (!this.isValidCluster(next)) throw this.vol.corrupt(`${what}: cluster ${c} points to ${next}, outside the volume`);
      c = next;
    }
    const chain = Uint32Array.from(out);
    this.chains.set(first, chain);
    return chain;
  }

  /** Free clusters, counted in the FAT (statfs when FSInfo does not say). */
  async countFree(): Promise<number> {
    let free = 0;
    for (let c = 2; c <= this.geo.clusterCount + 1; c++) if ((await this.entry(c)) === 0) free++;
    return free;
  }

  clear(): void {
    this.chains.clear();
  }
}
