// Write path, checked the other way round: joot edits a hive, then Debian's hivex
// (hivexregedit --export, hivexsh ls/lsval) reads the file back and must see exactly what joot
// wrote; the base block must be clean (sequence numbers equal, checksum right) and the bins
// well formed (cells tile each hbin, no two free cells side by side after coalescing).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Hive, REG_BINARY, REG_EXPAND_SZ, mergeReg, parseReg } from '../../src/hive/index.js';
import { hivexExport, hivexMerge, hivexsh, minimalHive, readHive, removeTmps, tmp, xorChecksum } from './hive-tools.js';

afterAll(removeTmps);

const PREFIX = 'HKEY_LOCAL_MACHINE\\SOFTWARE';
const hx = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(',');

function content(hive: Hive): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const n of hive.walk()) out.set(n.path(), new Map(n.values().map((v) => [v.name, `${v.type}:${hx(v.data)}`])));
  return out;
}

function viaHivex(file: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  const strip = (p: string) => p.slice(PREFIX.length).replace(/^\\+|\\+$/g, '');
  for (const op of parseReg(hivexExport(file, '\\', PREFIX)).ops) {
    if (op.op === 'key') out.set(strip(op.path), out.get(strip(op.path)) ?? new Map());
    if (op.op === 'set') out.get(strip(op.key))!.set(op.name, `${op.type}:${hx(op.data)}`);
  }
  return out;
}

/** Independent check of the file's structure. */
function checkStructure(f: Buffer): void {
  expect(f.toString('latin1', 0, 4)).toBe('regf');
  expect(f.readUInt32LE(4)).toBe(f.readUInt32LE(8));
  expect(f.readUInt32LE(508)).toBe(xorChecksum(f));
  const bins = f.readUInt32LE(40);
  expect(f.length).toBe(4096 + bins);
  for (let pos = 0; pos < bins; ) {
    expect(f.toString('latin1', 4096 + pos, 4100 + pos)).toBe('hbin');
    expect(f.readUInt32LE(4096 + pos + 4)).toBe(pos);
    const size = f.readUInt32LE(4096 + pos + 8);
    expect(size % 4096).toBe(0);
    let prevFree = false;
    let c = pos + 32;
    while (c < pos + size) {
      const s = f.readInt32LE(4096 + c);
      expect(Math.abs(s) % 8).toBe(0);
      expect(Math.abs(s)).toBeGreaterThanOrEqual(8);
      if (s > 0) expect(prevFree, `adjacent free cells at ${c.toString(16)}`).toBe(false);
      prevFree = s > 0;
      c += Math.abs(s);
    }
    expect(c).toBe(pos + size);
    pos += size;
  }
}

describe('hive writer, read back by hivex', () => {
  it('creates keys and values of every type; hivex sees exactly them', () => {
    const dir = tmp();
    const h = Hive.open(minimalHive());
    const k = h.createKey('Joot\\Values');
    k.setString('', 'the default');
    k.setString('sz', 'text with "quotes" and \\ and ünïcødé and 日本');
    k.setString('expand', '%ProgramFiles%\\joot', REG_EXPAND_SZ);
    k.setDword('dword', 0xdeadbeef);
    k.setValue('dwordbe', 5, Buffer.from([1, 2, 3, 4]));
    k.setQword('qword', 0x0123456789abcdefn);
    k.setMultiString('multi', ['a', 'b c', '']);
    k.setValue('none', 0, Buffer.from([]));
    k.setValue('link', 6, Buffer.from('\\Registry\\X', 'utf16le'));
    k.setValue('odd', 0xabcdef, Buffer.from([1, 2, 3, 4, 5]));
    k.setValue('big', REG_BINARY, Buffer.alloc(100000, 0x5a));
    k.setValue('名前', REG_BINARY, Buffer.from([7]));
    h.createKey('Joot\\Ключ\\Ünïcødé');
    h.createKey(`Joot\\${'L'.repeat(255)}`);
    const f = join(dir, 'w1');
    const out = h.serialize();
    writeFileSync(f, out);
    checkStructure(out);
    expect(viaHivex(f)).toEqual(content(Hive.open(out)));
    expect(content(Hive.open(out)).get('Joot\\Values')!.size).toBe(12);
    const ls = hivexsh(f, 'cd \\Joot\nls\n').trim().split('\n');
    expect(ls).toEqual(['Values', 'L'.repeat(255), 'Ключ'].sort((a, b) => (a.toUpperCase() < b.toUpperCase() ? -1 : 1)));
    const lsval = hivexsh(f, 'cd \\Joot\\Values\nlsval\n');
    expect(lsval).toContain('"dword"=dword:deadbeef');
    expect(lsval).toContain('"@"=');
  });

  it('deletes values and keys, reuses and coalesces free cells, grows past the first hbin', () => {
    const dir = tmp();
    const h = Hive.open(minimalHive());
    for (let i = 0; i < 400; i++) {
      const k = h.createKey(`Grow\\Key${i}\\Sub`);
      k.setString('path', `C:\\Program Files\\App ${i}\\bin`.repeat(3));
      k.setDword('n', i);
      if (i % 50 === 0) k.setValue('blob', REG_BINARY, Buffer.alloc(20000 + i, i & 0xff));
    }
    const grown = h.serialize();
    expect(grown.length).toBeGreaterThan(100 * 4096);
    checkStructure(grown);
    for (let i = 0; i < 400; i += 2) expect(h.deleteKey(`Grow\\Key${i}`)).toBe(true);
    for (let i = 1; i < 400; i += 4) expect(h.lookup(`Grow\\Key${i}\\Sub`)!.deleteValue('path')).toBe(true);
    expect(h.deleteKey('Grow\\Key0')).toBe(false);
    expect(h.lookup('Grow\\Key1\\Sub')!.deleteValue('nope')).toBe(false);
    const after = h.serialize();
    checkStructure(after);
    // Adding back about as much as was deleted fits in the freed cells.
    for (let i = 0; i < 400; i += 2) h.createKey(`Grow\\Again${i}`).setString('path', `C:\\Program Files\\App ${i}\\bin`.repeat(3));
    const again = h.serialize();
    checkStructure(again);
    expect(again.length).toBeLessThanOrEqual(after.length + 8 * 4096);
    const f = join(dir, 'w2');
    writeFileSync(f, again);
    const mine = content(Hive.open(again));
    expect(viaHivex(f)).toEqual(mine);
    expect(mine.has('Grow\\Key0')).toBe(false);
    expect(mine.get('Grow\\Key1\\Sub')!.has('path')).toBe(false);
    expect(mine.get('Grow\\Key3\\Sub')!.has('path')).toBe(true);
    expect(hivexsh(f, 'cd \\Grow\nls\n').trim().split('\n').length).toBe(400);
    // The parent's counts follow.
    expect(Hive.open(again).lookup('Grow')!.subkeyCount).toBe(400);
  });

  it('merges a .reg file; hivex can go on editing joot’s output', () => {
    const dir = tmp();
    const h = Hive.open(minimalHive());
    h.createKey('Old\\Gone').setDword('x', 1);
    h.createKey('Keep').setDword('drop', 1);
    mergeReg(
      h,
      [
        'Windows Registry Editor Version 5.00',
        '',
        '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Merged\\Deep\\Key]',
        '@="default"',
        '"s"="str"',
        '"d"=dword:0000002a',
        '"b"=hex:00,ff,\\',
        '  10,20',
        '"e"=hex(2):25,00,41,00,25,00,00,00',
        '"m"=hex(7):61,00,00,00,00,00',
        '"q"=hex(b):01,00,00,00,00,00,00,00',
        '',
        '[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Old]',
        '',
        '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Keep]',
        '"drop"=-',
        '"new"="v"',
        '',
      ].join('\r\n'),
      { prefix: PREFIX },
    );
    const f = join(dir, 'w3');
    writeFileSync(f, h.serialize());
    expect(viaHivex(f)).toEqual(content(Hive.open(readHive(f))));
    const back = Hive.open(readHive(f));
    expect(back.lookup('Old')).toBeUndefined();
    expect(
      back
        .lookup('Keep')!
        .values()
        .map((v) => v.name),
    ).toEqual(['new']);
    expect(back.lookup('Merged\\Deep\\Key')!.value('b')!.data).toEqual(Buffer.from([0, 0xff, 0x10, 0x20]));
    // hivex edits the file joot wrote, and joot reads hivex's result.
    hivexMerge(f, `Windows Registry Editor Version 5.00\n\n[${PREFIX}\\Keep\\ByHivex]\n"h"=dword:00000007\n`, PREFIX);
    expect(Hive.open(readHive(f)).lookup('keep\\byhivex')!.value('h')!.dword()).toBe(7);
  });

  it('replaces values in place and keeps lh lists sorted with Windows hashes', () => {
    const h = Hive.open(minimalHive());
    const k = h.createKey('Sorted');
    const names = ['b', 'A', 'c', 'Ä', 'a1', 'Z', '_x', 'ß', 'ключ'];
    for (const n of names) k.addChild(n);
    expect(() => k.addChild('C')).toThrow(/already exists/);
    k.setDword('v', 1);
    k.setString('v', 'now a string');
    expect(k.values().length).toBe(1);
    expect(k.value('V')!.string()).toBe('now a string');
    // Windows uppercases code unit by code unit (ß stays ß).
    const up = (n: string) => [...n].map((ch) => (ch.toUpperCase().length === 1 ? ch.toUpperCase() : ch)).join('');
    const upper = h
      .lookup('sorted')!
      .children()
      .map((n) => up(n.name));
    expect([...upper].sort()).toEqual(upper);
    // The raw lh cell: entry hashes are 37*h + c over the uppercased name.
    const buf = h.serialize();
    const back = Hive.open(buf);
    const nk = 4096 + back.lookup('Sorted')!.offset + 4;
    const list = 4096 + buf.readUInt32LE(nk + 28) + 4;
    expect(buf.toString('latin1', list, list + 2)).toBe('lh');
    for (let i = 0; i < buf.readUInt16LE(list + 2); i++) {
      const name = back._node(buf.readUInt32LE(list + 4 + 8 * i)).name;
      let hsh = 0;
      for (const ch of up(name)) hsh = (Math.imul(hsh, 37) + ch.charCodeAt(0)) >>> 0;
      expect(buf.readUInt32LE(list + 8 + 8 * i), name).toBe(hsh);
    }
  });

  it('Hive.create() makes an empty hive hivex accepts; edits never touch the caller’s buffer', () => {
    const f = join(tmp(), 'new');
    const fresh = Hive.create().serialize();
    checkStructure(fresh);
    writeFileSync(f, fresh);
    expect(hivexsh(f, 'ls\nlsval\n').trim()).toBe('');
    hivexMerge(f, `Windows Registry Editor Version 5.00\n\n[${PREFIX}\\A]\n"x"=dword:00000001\n`, PREFIX);
    expect(Hive.open(readHive(f)).lookup('A')!.value('x')!.dword()).toBe(1);
    const orig = minimalHive();
    const copy = Buffer.from(orig);
    const h = Hive.open(orig);
    h.createKey('X\\Y').setDword('z', 1);
    h.serialize();
    expect(orig.equals(copy)).toBe(true);
  });
});
