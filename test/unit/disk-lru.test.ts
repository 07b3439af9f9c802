import { describe, expect, it } from 'vitest';
import { Lru, LruBytes } from '../../src/disk/lru.js';

describe('Lru', () => {
  it('keeps the most recently used entries up to its count', () => {
    const l = new Lru<number, string>(2);
    l.set(1, 'a');
    l.set(2, 'b');
    expect(l.get(1)).toBe('a'); // 1 is now the most recent
    l.set(3, 'c');
    expect(l.get(2)).toBeUndefined();
    expect(l.get(1)).toBe('a');
    expect(l.get(3)).toBe('c');
  });

  it('re-setting a key replaces it without growing', () => {
    const l = new Lru<number, string>(2);
    l.set(1, 'a');
    l.set(2, 'b');
    l.set(1, 'A');
    l.set(3, 'c');
    expect(l.get(2)).toBeUndefined();
    expect(l.get(1)).toBe('A');
  });

  it('bounds the total weight too, and never keeps an entry heavier than the cap', () => {
    const l = new Lru<number, number[]>(10, 5, (v) => v.length);
    l.set(1, [1, 2]);
    l.set(2, [1, 2]);
    l.set(3, [1, 2]); // 6 > 5: the oldest goes
    expect(l.get(1)).toBeUndefined();
    expect(l.weight).toBe(4);
    l.set(4, [1, 2, 3, 4, 5, 6]);
    expect(l.get(4)).toBeUndefined();
    expect(l.get(2)).toEqual([1, 2]);
    l.delete(2);
    expect(l.weight).toBe(2);
    l.clear();
    expect(l.get(3)).toBeUndefined();
    expect(l.weight).toBe(0);
  });

  it('a cap of no entries keeps nothing', () => {
    const l = new Lru<number, string>(0);
    l.set(1, 'a');
    expect(l.get(1)).toBeUndefined();
  });

  it('LruBytes weighs buffers by length', () => {
    const l = new LruBytes<string>(10);
    l.set('a', Buffer.alloc(6));
    l.set('b', Buffer.alloc(6));
    expect(l.get('a')).toBeUndefined();
    expect(l.size).toBe(6);
    expect(l.capBytes).toBe(10);
  });
});

describe('Lru dropped', () => {
  it('is told of every value let go: evicted, replaced, deleted, cleared, never kept', () => {
    const gone: string[] = [];
    const l = new Lru<number, string>(
      2,
      3,
      (v) => v.length,
      (v) => gone.push(v),
    );
    l.set(1, 'a');
    l.set(2, 'b');
    l.set(3, 'c'); // evicts a
    l.set(2, 'B'); // replaces b
    l.set(9, 'long'); // heavier than the cap: never kept
    l.delete(3);
    l.set(4, 'd');
    l.clear();
    expect(gone).toEqual(['a', 'b', 'long', 'c', 'B', 'd']);
    expect(l.weight).toBe(0);
  });
});
