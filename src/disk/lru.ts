// The one least-recently-used map of the userspace engine: what a reader re-reads (metadata
// blocks, parsed directories, cluster chains, image tables) stays cached under caps the caller
// chooses — a number of entries and, optionally, a total weight (bytes, extents, directory
// entries) — never the whole device. Guest metadata decides what is read, never how much is kept.
// (Map keeps insertion order: re-inserting an entry marks it recently used.)

export class Lru<K, V> {
  private readonly map = new Map<K, { value: V; weight: number }>();
  private total = 0;

  /**
   * @param maxEntries entries kept at the most
   * @param maxWeight total weight kept at the most; an entry heavier than that is never kept
   * @param weigh an entry's weight (1 unless told)
   * @param dropped told of each value the map lets go (evicted, replaced, deleted, cleared, or never kept)
   */
  constructor(
    readonly maxEntries: number,
    readonly maxWeight = Number.POSITIVE_INFINITY,
    private readonly weigh: (value: V) => number = () => 1,
    private readonly dropped?: (value: V) => void,
  ) {}

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.weigh(value);
    if (this.maxEntries < 1 || weight > this.maxWeight) {
      this.dropped?.(value); // never kept: it would evict everything
      return;
    }
    for (const [k, e] of this.map) {
      if (this.map.size < this.maxEntries && this.total + weight <= this.maxWeight) break;
      this.map.delete(k);
      this.total -= e.weight;
      this.dropped?.(e.value);
    }
    this.map.set(key, { value, weight });
    this.total += weight;
  }

  /** The total weight held (bytes, for a cache of buffers weighed by length). */
  get weight(): number {
    return this.total;
  }

  delete(key: K): void {
    const e = this.map.get(key);
    if (e === undefined) return;
    this.map.delete(key);
    this.total -= e.weight;
    this.dropped?.(e.value);
  }

  clear(): void {
    const values = this.dropped ? [...this.map.values()] : [];
    this.map.clear();
    this.total = 0;
    for (const e of values) this.dropped?.(e.value);
  }
}

/** Buffers under a byte cap, with no limit on their number. */
export class LruBytes<K> extends Lru<K, Buffer> {
  constructor(readonly capBytes: number) {
    super(Number.POSITIVE_INFINITY, capBytes, (b) => b.length);
  }

  /** bytes held */
  get size(): number {
    return this.weight;
  }
}
