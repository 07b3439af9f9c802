// .reg files: parsing both header versions and encodings, continuation lines, deletions and
// hex(N) types; export in regedit's format; and the export checked by hivex: merging joot's
// exported .reg with hivexregedit into an empty hive gives the same keys and values.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Hive,
  REG_BINARY,
  REG_DWORD,
  REG_EXPAND_SZ,
  REG_MULTI_SZ,
  REG_QWORD,
  REG_SZ,
  exportReg,
  exportRegText,
  hivePath,
  mergeReg,
  parseReg,
} from '../../src/hive/index.js';
import { hivexMerge, minimalHive, readHive, removeTmps, tmp } from './hive-tools.js';

afterAll(removeTmps);

const u16 = (s: string) => Buffer.from(s, 'utf16le');

describe('.reg parsing', () => {
  it('reads Version 5.00 in UTF-16LE with a BOM and CRLF', () => {
    const text =
      'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n"s"="a \\"b\\" c\\\\d"\r\n@="def"\r\n"d"=dword:0000ffff\r\n; comment\r\n"x"=-\r\n[-HKEY_LOCAL_MACHINE\\SOFTWARE\\B]\r\n"ignored"="after a deleted key"\r\n';
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe]), u16(text)]);
    const { version, ops } = parseReg(buf);
    expect(version).toBe(5);
    expect(ops.map((o) => o.op)).toEqual(['key', 'set', 'set', 'set', 'deleteValue', 'deleteKey']);
    const [, s, def, d] = ops as Extract<(typeof ops)[number], { op: 'set' }>[];
    expect(s!.data).toEqual(u16('a "b" c\\d\0'));
    expect(def!.name).toBe('');
    expect(d!.type).toBe(REG_DWORD);
    expect(d!.data.readUInt32LE(0)).toBe(0xffff);
  });

  it('reads REGEDIT4 (ANSI hex(2)/hex(7) become UTF-16), continuations, all hex types', () => {
    const text = [
      'REGEDIT4',
      '',
      '[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]',
      '"e"=hex(2):25,41,25,00',
      '"m"=hex(7):61,00,62,00,00',
      '"b"=hex:01,02,\\',
      '    03,04,\\',
      '  05',
      '"q"=hex(b):01,00,00,00,00,00,00,00',
      '"n"=hex(0):',
      '"u"=hex(12345):aa',
    ].join('\n');
    const ops = parseReg(text).ops.filter((o) => o.op === 'set');
    const byName = Object.fromEntries(ops.map((o) => [o.name, o]));
    expect(byName.e!.type).toBe(REG_EXPAND_SZ);
    expect(byName.e!.data).toEqual(u16('%A%\0'));
    expect(byName.m!.type).toBe(REG_MULTI_SZ);
    expect(byName.m!.data).toEqual(u16('a\0b\0\0'));
    expect(byName.b!.data).toEqual(Buffer.from([1, 2, 3, 4, 5]));
    expect(byName.q!.type).toBe(REG_QWORD);
    expect(byName.n!.data.length).toBe(0);
    expect(byName.u!.type).toBe(0x12345);
  });

  it('refuses what is not a .reg file, with the line', () => {
    expect(() => parseReg('hello')).toThrow(/not a \.reg file/);
    expect(() => parseReg('REGEDIT4\n[K]\n"a"=dword:xyz\n')).toThrow(/line 3/);
    expect(() => parseReg('REGEDIT4\n[K]\n"a"=hex:1,2,zz\n')).toThrow(/bad hex byte/);
    expect(() => parseReg('REGEDIT4\n[K]\n"a="x"\n')).toThrow(/line 3/);
  });

  it('maps key paths through the prefix (case-insensitive, HKLM alias)', () => {
    expect(hivePath('HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\B', 'HKEY_LOCAL_MACHINE\\SOFTWARE')).toBe('A\\B');
    expect(hivePath('hklm\\software', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\')).toBe('');
    expect(hivePath('HKEY_LOCAL_MACHINE\\SYSTEM\\A', 'HKEY_LOCAL_MACHINE\\SOFTWARE')).toBeUndefined();
    const h = Hive.open(minimalHive());
    expect(() => mergeReg(h, 'REGEDIT4\n[HKEY_CURRENT_USER\\X]\n', { prefix: 'HKLM\\SOFTWARE' })).toThrow(/not under/);
  });
});

describe('.reg export', () => {
  function sample(): Hive {
    const h = Hive.open(minimalHive());
    const k = h.createKey('App\\Settings');
    k.setString('', 'default');
    k.setString('Path', 'C:\\Program Files\\"App"');
    k.setDword('Count', 42);
    k.setValue('Blob', REG_BINARY, Buffer.from(Array.from({ length: 60 }, (_, i) => i)));
    k.setString('Exp', '%SystemRoot%', REG_EXPAND_SZ);
    k.setMultiString('Multi', ['x', 'y']);
    k.setQword('Q', 5n);
    k.setValue('NoNul', REG_SZ, u16('abc')); // not a proper string: goes out as hex(1)
    h.createKey('App\\Ключ').setString('имя', 'значение');
    return h;
  }

  it('writes what regedit writes', () => {
    const text = exportRegText(sample().lookup('App')!, 'HKEY_LOCAL_MACHINE\\SOFTWARE');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('Windows Registry Editor Version 5.00');
    expect(lines[2]).toBe('[HKEY_LOCAL_MACHINE\\SOFTWARE\\App]');
    expect(text).toContain(
      '\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\App\\Settings]\r\n@="default"\r\n"Path"="C:\\\\Program Files\\\\\\"App\\""\r\n"Count"=dword:0000002a\r\n',
    );
    expect(text).toContain('"Blob"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,\\\r\n  16,');
    expect(text).toContain('"Exp"=hex(2):25,00,53,00');
    expect(text).toContain('"Q"=hex(b):05,00,00,00,00,00,00,00');
    expect(text).toContain('"NoNul"=hex(1):61,00,62,00,63,00');
    expect(text).toContain('[HKEY_LOCAL_MACHINE\\SOFTWARE\\App\\Ключ]\r\n"имя"="значение"');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    const bytes = exportReg(sample().lookup('App')!, 'HKEY_LOCAL_MACHINE\\SOFTWARE');
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
  });

  it('round-trips through joot, and through hivexregedit --merge', () => {
    const src = sample();
    const text = exportRegText(src.root(), 'HKEY_LOCAL_MACHINE\\SOFTWARE');
    const mine = Hive.open(minimalHive());
    mergeReg(mine, exportReg(src.root(), 'HKEY_LOCAL_MACHINE\\SOFTWARE'), { prefix: 'HKEY_LOCAL_MACHINE\\SOFTWARE' });
    expect(exportRegText(mine.root(), 'HKEY_LOCAL_MACHINE\\SOFTWARE')).toBe(text);
    // hivex reads the exported text (UTF-8, LF, as it wants) into a hive joot then exports again.
    // (hivexregedit stores non-ASCII string data byte by byte, so that value is made ASCII here.)
    src.lookup('App\\Ключ')!.setString('имя', 'plain');
    const forHivex = exportRegText(src.root(), 'HKEY_LOCAL_MACHINE\\SOFTWARE');
    const f = join(tmp(), 'viahivex');
    writeFileSync(f, minimalHive());
    hivexMerge(f, forHivex.replace(/\r\n/g, '\n'), 'HKEY_LOCAL_MACHINE\\SOFTWARE');
    const theirs = Hive.open(readHive(f));
    const norm = (t: string) => t.split('\r\n[').slice(1).sort(); // hivex may store values in another order
    const sortVals = (block: string) => block.split('\r\n').sort().join('\n');
    expect(norm(exportRegText(theirs.root(), 'HKEY_LOCAL_MACHINE\\SOFTWARE')).map(sortVals)).toEqual(norm(forHivex).map(sortVals));
  });
});
