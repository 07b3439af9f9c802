// Read path: hives written by Debian's hivex (hivexregedit --merge into a minimal hive built by
// hand from the spec) must read back, through joot's hive library, exactly as hivexregedit
// --export and the .reg we merged describe them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hive, REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_QWORD, REG_SZ, parseReg } from '../../src/hive/index.js';
import { hivexExport, hivexMerge, hivexsh, minimalHive, readHive, removeTmps, tmp } from './hive-tools.js';

afterAll(removeTmps);

const PREFIX = 'HKEY_LOCAL_MACHINE\\SOFTWARE';
const hx = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(',');
const u16 = (s: string) => Buffer.from(s, 'utf16le');

const longKey = 'K'.repeat(255);
const longValue = 'v'.repeat(1000);
const big = Buffer.alloc(40000);
for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;

/** What we merge: path → values (name → [type, data]). */
const want = new Map<string, Map<string, [number, Buffer]>>();
function put(path: string, name: string, type: number, data: Buffer) {
  if (!want.has(path)) want.set(path, new Map());
  want.get(path)!.set(name, [type, data]);
}
put('Types', '', REG_SZ, u16('default\0'));
put('Types', 'none', 0, Buffer.from([1, 2, 3]));
put('Types', 'sz', REG_SZ, u16('hello "quoted" \\ back\0'));
put('Types', 'expand', REG_EXPAND_SZ, u16('%SystemRoot%\\system32\0'));
put('Types', 'binary', REG_BINARY, Buffer.from([0, 1, 254, 255]));
put('Types', 'empty', REG_BINARY, Buffer.alloc(0));
put('Types', 'dword', REG_DWORD, Buffer.from([0x78, 0x56, 0x34, 0x12]));
put('Types', 'dwordbe', 5, Buffer.from([0x12, 0x34, 0x56, 0x78]));
put('Types', 'link', 6, u16('\\Registry\\Machine\\Foo'));
put('Types', 'multi', REG_MULTI_SZ, u16('one\0two\0three\0\0'));
put('Types', 'qword', REG_QWORD, Buffer.from([8, 7, 6, 5, 4, 3, 2, 1]));
put('Types', 'unknown', 0x100000, Buffer.from([9, 9, 9, 9, 9, 9]));
put('Types', longValue, REG_DWORD, Buffer.from([1, 0, 0, 0]));
put('Big', 'blob', REG_BINARY, big);
put(`Long\\${longKey}`, 'x', REG_DWORD, Buffer.from([2, 0, 0, 0]));
put('Unicode\\Ключ реестра', '名前', REG_SZ, u16('値\0'));
put('Unicode\\Ünïcødé', 'é', REG_DWORD, Buffer.from([3, 0, 0, 0]));
const MANY = 1500;
for (let i = 0; i < MANY; i++) put(`Many\\Sub${String(i).padStart(4, '0')}`, 'i', REG_DWORD, Buffer.from([i & 0xff, i >> 8, 0, 0]));

function regText(): string {
  const lines = ['Windows Registry Editor Version 5.00', ''];
  // hivexregedit creates a key only under an existing parent: name every ancestor first.
  const done = new Set<string>();
  for (const path of want.keys()) {
    const parts = path.split('\\');
    for (let i = 1; i < parts.length; i++) {
      const a = parts.slice(0, i).join('\\');
      if (!done.has(a) && !want.has(a)) lines.push(`[${PREFIX}\\${a}]`, '');
      done.add(a);
    }
  }
  for (const [path, vals] of want) {
    lines.push(`[${PREFIX}\\${path}]`);
    for (const [name, [type, data]] of vals) {
      const n = name === '' ? '@' : `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
      lines.push(`${n}=hex(${type.toString(16)}):${hx(data)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** A hive's content as path → name → "type:hexdata", from joot's reader. */
function viaJoot(hive: Hive): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const node of hive.walk()) {
    const m = new Map<string, string>();
    for (const v of node.values()) m.set(v.name, `${v.type}:${hx(v.data)}`);
    out.set(node.path(), m);
  }
  return out;
}

/** The same from hivexregedit --export's text. */
function viaHivex(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  const strip = (p: string) => p.slice(PREFIX.length).replace(/^\\+|\\+$/g, '');
  for (const op of parseReg(text).ops) {
    if (op.op === 'key') out.set(strip(op.path), out.get(strip(op.path)) ?? new Map());
    if (op.op === 'set') out.get(strip(op.key))!.set(op.name, `${op.type}:${hx(op.data)}`);
  }
  return out;
}

describe('hive reader on hives written by hivex', () => {
  let dir: string;
  let file: string;
  let hive: Hive;
  beforeAll(() => {
    dir = tmp();
    file = join(dir, 'software');
    writeFileSync(file, minimalHive());
    hivexMerge(file, regText(), PREFIX);
    hive = Hive.open(readHive(file));
  });

  it('accepts the hand-made minimal hive, as hivexsh does', () => {
    const f = join(tmp(), 'min');
    writeFileSync(f, minimalHive());
    expect(hivexsh(f, 'ls\nlsval\n').trim()).toBe('');
    const h = Hive.open(minimalHive());
    expect(h.root().name).toBe('ROOT');
    expect(h.root().children()).toEqual([]);
    expect(h.root().values()).toEqual([]);
  });

  it('reads every key and value exactly as hivexregedit --export does', () => {
    const mine = viaJoot(hive);
    const theirs = viaHivex(hivexExport(file, '\\', PREFIX));
    expect(mine.size).toBe(theirs.size);
    for (const [path, vals] of theirs) {
      expect(mine.get(path), path).toEqual(vals);
    }
  });

  it('holds what was merged: every type, long names, big data, UTF-16 names', () => {
    for (const [path, vals] of want) {
      const node = hive.lookup(path);
      expect(node, path).toBeDefined();
      for (const [name, [type, data]] of vals) {
        const v = node!.value(name)!;
        expect(v, `${path} ${name}`).toBeDefined();
        expect(v.type).toBe(type);
        expect(v.data.equals(data)).toBe(true);
      }
    }
    const t = hive.lookup('types')!;
    expect(t.value('')!.string()).toBe('default');
    expect(t.value('SZ')!.string()).toBe('hello "quoted" \\ back');
    expect(t.value('expand')!.string()).toBe('%SystemRoot%\\system32');
    expect(t.value('dword')!.dword()).toBe(0x12345678);
    expect(t.value('dwordbe')!.dword()).toBe(0x12345678);
    expect(t.value('qword')!.qword()).toBe(0x0102030405060708n);
    expect(t.value('multi')!.multiString()).toEqual(['one', 'two', 'three']);
    expect(t.value('link')!.string()).toBe('\\Registry\\Machine\\Foo');
    expect(t.value('unknown')!.typeName).toBe('0x100000');
    expect(() => t.value('sz')!.dword()).toThrow(/not a dword/);
    expect(hive.lookup('Big')!.value('blob')!.data.equals(big)).toBe(true);
    expect(hive.lookup(`long\\${longKey.toLowerCase()}`)!.name).toBe(longKey);
  });

  it('looks keys up case-insensitively, including non-ASCII names', () => {
    expect(hive.lookup('UNICODE\\КЛЮЧ РЕЕСТРА')!.name).toBe('Ключ реестра');
    expect(hive.lookup('unicode/üNÏCØDÉ')!.value('É')!.dword()).toBe(3);
    expect(hive.lookup('Many\\sub0999')!.value('I')!.dword()).toBe(999);
    expect(hive.lookup('Many\\Sub9999')).toBeUndefined();
  });

  it('lists many subkeys in sorted order', () => {
    const names = hive
      .lookup('Many')!
      .children()
      .map((n) => n.name);
    expect(names.length).toBe(MANY);
    expect(names).toEqual([...names].sort());
    expect(hive.lookup('Many')!.subkeyCount).toBe(MANY);
  });

  it('reads subkey lists split into ri by joot, and hivex reads them too', () => {
    // hivex keeps one flat lh list; joot's writer splits past 1012 entries under an ri.
    const h = Hive.open(minimalHive());
    const many = h.createKey('Split');
    for (let i = 0; i < 3000; i++) many.addChild(`k${String(i).padStart(5, '0')}`);
    const f = join(dir, 'split');
    writeFileSync(f, h.serialize());
    const back = Hive.open(readHive(f)).lookup('split')!;
    expect(back.children().length).toBe(3000);
    const ls = hivexsh(f, 'cd \\Split\nls\n').trim().split('\n');
    expect(ls.length).toBe(3000);
    expect(ls).toEqual(back.children().map((n) => n.name));
  });
});
