// Hostile hives: truncated files, cell sizes pointing outside their hbin, offsets out of range,
// ri lists pointing to themselves, huge counts, names running past their cells, loops in the
// tree. Each must give a one-line EFORMAT JootError, quickly: never a RangeError, a hang, or a
// giant allocation.
import { describe, expect, it } from 'vitest';
import { isJootError } from '../../src/core/errors.js';
import { Hive, REG_BINARY } from '../../src/hive/index.js';
import { minimalHive, xorChecksum } from './hive-tools.js';

/** A hive with a bit of everything: ri lists, big data, values of several types. */
function sample(): Buffer {
  const h = Hive.open(minimalHive());
  const many = h.createKey('Many');
  for (let i = 0; i < 1100; i++) many.addChild(`k${i}`);
  const v = h.createKey('Vals\\Sub');
  v.setString('s', 'string');
  v.setDword('d', 1);
  v.setMultiString('m', ['a', 'b']);
  v.setValue('big', REG_BINARY, Buffer.alloc(20000, 1));
  v.setValue('mid', REG_BINARY, Buffer.alloc(300, 2));
  return h.serialize();
}

/** Read everything there is to read. */
function readAll(buf: Buffer, ignoreChecksum = true): number {
  const h = Hive.open(buf, { ignoreChecksum });
  let n = 0;
  for (const node of h.walk()) {
    n += node.name.length + (node.className()?.length ?? 0) + node.path().length;
    node.security();
    for (const v of node.values()) n += v.name.length + v.data.length + v.type;
    node.child('k5');
    node.value('s');
  }
  h.lookup('Vals\\Sub\\X');
  return n;
}

function expectEformat(fn: () => unknown): void {
  const t0 = performance.now();
  try {
    fn();
  } catch (e) {
    if (!isJootError(e, 'EFORMAT')) throw new Error(`not EFORMAT: ${String(e)}`, { cause: e });
    expect((e as Error).message).not.toContain('\n');
    expect(performance.now() - t0).toBeLessThan(2000);
    return;
  }
  throw new Error('no error');
}

/** Either reads fine or fails with EFORMAT; anything else fails the test. */
function survives(buf: Buffer): void {
  try {
    readAll(buf);
  } catch (e) {
    if (!isJootError(e, 'EFORMAT')) throw new Error(`not EFORMAT: ${String(e)}`, { cause: e });
  }
}

const reseal = (b: Buffer) => {
  b.writeUInt32LE(xorChecksum(b), 508);
  return b;
};

describe('hostile hives', () => {
  const good = sample();

  it('the sample reads', () => {
    expect(readAll(good, false)).toBeGreaterThan(0);
  });

  it('truncated anywhere: EFORMAT', () => {
    for (let len = 0; len < good.length; len += len < 8192 ? 97 : 4093) expectEformat(() => Hive.open(good.subarray(0, len)));
  });

  it('bad base block: signature, version, checksum, bins size, root', () => {
    const b = Buffer.from(good);
    b.write('regg', 0, 'latin1');
    expectEformat(() => Hive.open(b));
    const c = Buffer.from(good);
    c[100] = c[100]! ^ 1;
    expectEformat(() => Hive.open(c));
    expect(() => Hive.open(c, { ignoreChecksum: true })).not.toThrow();
    for (const [off, val] of [
      [20, 2],
      [40, 0x7ffff000],
      [40, 4097],
      [36, 0x7fffffff],
      [36, 0x24],
      [36, 0xffffffff],
    ] as const) {
      const d = Buffer.from(good);
      d.writeUInt32LE(val, off);
      expectEformat(() => Hive.open(reseal(d)));
    }
  });

  it('cell sizes out of their hbin, zero, or misaligned', () => {
    for (const size of [0, 4, 6, 0x7fffffff, -0x80000000, 4096, -8192, 13]) {
      const b = Buffer.from(good);
      b.writeInt32LE(size, 4096 + 0x20);
      expectEformat(() => Hive.open(b));
    }
    const b = Buffer.from(good);
    b.write('hbix', 4096, 'latin1');
    expectEformat(() => Hive.open(b));
    const c = Buffer.from(good);
    c.writeUInt32LE(8192, 4096 + 4); // hbin offset field wrong
    expectEformat(() => Hive.open(c));
  });

  it('ri pointing to itself, twice to one leaf, ri inside ri', () => {
    const h = Hive.open(good);
    const many = h.lookup('Many')!;
    const list = good.readUInt32LE(4096 + many.offset + 4 + 28);
    const ri = 4096 + list + 4;
    expect(good.toString('latin1', ri, ri + 2)).toBe('ri');
    const self = Buffer.from(good);
    self.writeUInt32LE(list, ri + 4);
    expectEformat(() => readAll(self));
    const twice = Buffer.from(good);
    twice.writeUInt32LE(twice.readUInt32LE(ri + 4), ri + 8);
    expectEformat(() => readAll(twice));
    // an ri whose leaf is turned into an ri pointing back at the first
    const nested = Buffer.from(good);
    const leaf = 4096 + nested.readUInt32LE(ri + 4) + 4;
    nested.write('ri', leaf, 'latin1');
    nested.writeUInt16LE(1, leaf + 2);
    nested.writeUInt32LE(list, leaf + 4);
    expectEformat(() => readAll(nested));
  });

  it('huge counts and lengths', () => {
    const h = Hive.open(good);
    const sub = h.lookup('Vals\\Sub')!;
    const nk = 4096 + sub.offset + 4;
    const patch = (off: number, val: number, width: 2 | 4 = 4) => {
      const b = Buffer.from(good);
      if (width === 2) b.writeUInt16LE(val, off);
      else b.writeUInt32LE(val, off);
      return b;
    };
    expectEformat(() => readAll(patch(nk + 36, 0xffffffff))); // value count
    expectEformat(() => readAll(patch(nk + 72, 0xffff, 2))); // name length
    expectEformat(() => readAll(patch(nk + 40, 0x12345678))); // value list offset out of range
    expectEformat(() => readAll(patch(nk + 40, 0x21))); // not a cell start
    expectEformat(() => readAll(patch(nk + 44, 0x7ffffff8))); // security offset
    const many = 4096 + h.lookup('Many')!.offset + 4;
    const leaf = 4096 + good.readUInt32LE(4096 + good.readUInt32LE(many + 28) + 4 + 4) + 4;
    expectEformat(() => readAll(patch(leaf + 2, 0xffff, 2))); // leaf entry count
    // value data sizes
    const v = sub.value('mid')!;
    const vk = 4096 + v.offset + 4;
    expectEformat(() => readAll(patch(vk + 4, 0x7fffffff))); // bigger than the hive
    expectEformat(() => readAll(patch(vk + 4, 5000))); // bigger than its cell
    expectEformat(() => readAll(patch(vk + 4, 0x80000010))); // inline but more than 4 bytes
    expectEformat(() => readAll(patch(vk + 2, 0xffff, 2))); // value name length
    const bigVk = 4096 + sub.value('big')!.offset + 4;
    const db = 4096 + good.readUInt32LE(bigVk + 8) + 4;
    expect(good.toString('latin1', db, db + 2)).toBe('db');
    expectEformat(() => readAll(patch(db + 2, 1, 2))); // too few segments
    expectEformat(() => readAll(patch(db + 2, 0xffff, 2))); // more segments than the list holds
    expectEformat(() => readAll(patch(db + 4, 0xfffffff0))); // segment list out of range
  });

  it('a key listed under its own descendant (a loop in the tree)', () => {
    const h = Hive.open(good);
    const sub = h.lookup('Vals\\Sub')!;
    const vals = h.lookup('Vals')!;
    const b = Buffer.from(good);
    // Sub gets a subkey list: Vals' own list, so Vals → Sub → Sub …
    b.writeUInt32LE(b.readUInt32LE(4096 + vals.offset + 4 + 28), 4096 + sub.offset + 4 + 28);
    b.writeUInt32LE(1, 4096 + sub.offset + 4 + 20);
    expectEformat(() => readAll(b));
    expectEformat(() => Hive.open(b).walk().next() && [...Hive.open(b).walk()]);
  });

  it('random byte flips in the bins: EFORMAT or a clean read, never anything else', () => {
    let seed = 12345;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const t0 = performance.now();
    for (let round = 0; round < 300; round++) {
      const b = Buffer.from(good);
      const flips = 1 + Math.floor(rnd() * 8);
      for (let i = 0; i < flips; i++) {
        // Mostly the first bins (keys, lists, cell headers), sometimes anywhere.
        const span = rnd() < 0.7 ? Math.min(16384, b.length - 4096) : b.length - 4096;
        b[4096 + Math.floor(rnd() * span)] = Math.floor(rnd() * 256);
      }
      survives(b);
    }
    expect(performance.now() - t0).toBeLessThan(60000);
  });

  it('edits refuse to run on corrupt structures with EFORMAT', () => {
    const h = Hive.open(good);
    const b = Buffer.from(good);
    const vals = h.lookup('Vals')!;
    b.writeUInt32LE(0x7ffffff0, 4096 + vals.offset + 4 + 28);
    const bad = Hive.open(b);
    expectEformat(() => bad.createKey('Vals\\New'));
    expectEformat(() => bad.deleteKey('Vals'));
  });
});
