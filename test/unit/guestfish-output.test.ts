// guestfish's ways with arguments and results that jfish follows (issue 16): list arguments split
// on blanks, an empty optional string meaning "not given", a newline after every string result
// (also the streamed bytes of cat, command and sh), hex and octal ints.
import { describe, expect, it } from 'vitest';
import { BufferWriter } from '../../src/core/output.js';
import { parseArgs, specProblems } from '../../src/ops/args.js';
import { printResult } from '../../src/tools/jfish/op-command.js';

const vgcreate = {
  name: 'vgcreate',
  args: [
    { name: 'volgroup', type: 'string' },
    { name: 'physvols', type: 'device', variadic: true, list: true },
  ],
} as const;

describe('guestfish argument syntax', () => {
  it('a list argument is split on blanks, quotes keep an item whole; several words still work', () => {
    expect(parseArgs(vgcreate, ['VG', '/dev/sda1 /dev/sda2'])).toEqual(['VG', ['/dev/sda1', '/dev/sda2']]);
    expect(parseArgs(vgcreate, ['VG', '/dev/sda1', ' /dev/sdb1\t/dev/sdc1 '])).toEqual(['VG', ['/dev/sda1', '/dev/sdb1', '/dev/sdc1']]);
    expect(parseArgs(vgcreate, ['VG', '"/dev/a b"'])).toEqual(['VG', ['/dev/a b']]);
    expect(() => parseArgs(vgcreate, ['VG', '/dev/sda1 sdb'])).toThrow(/'sdb' is not a device name/);
  });

  it('a list must be variadic', () => {
    expect(specProblems({ name: 'x', args: [{ name: 'l', type: 'string', list: true }] })).toEqual(['x: list l must be variadic']);
  });

  it('an empty optional string or path is "not given" (guestfish OptString); a required one is checked', () => {
    const commit = { name: 'hivex-commit', args: [{ name: 'filename', type: 'path', optional: true }] } as const;
    expect(parseArgs(commit, [''])).toEqual([undefined]);
    expect(parseArgs(commit, ['/x'])).toEqual(['/x']);
    const cat = { name: 'cat', args: [{ name: 'path', type: 'path' }] } as const;
    expect(() => parseArgs(cat, [''])).toThrow(/not an absolute path/);
  });
});

describe('guestfish result printing', () => {
  async function printed(...args: Parameters<typeof printResult> extends [unknown, ...infer R] ? R : never): Promise<string> {
    const out = new BufferWriter();
    await printResult(out, ...args);
    return out.text();
  }

  it('a string, also an empty one, is followed by a newline', async () => {
    expect(await printed('string', 'abc')).toBe('abc\n');
    expect(await printed('string', '')).toBe('\n');
  });

  it('an RString stream gets a newline after its bytes; an RBufferOut stream nothing', async () => {
    expect(await printed('stream', undefined, { stringResult: true })).toBe('\n');
    expect(await printed('stream', undefined)).toBe('');
  });

  it('hex and octal ints as guestfish prints them, zero bare', async () => {
    expect(await printed('int', 0x83, { printAs: 'hex' })).toBe('0x83\n');
    expect(await printed('int', 0, { printAs: 'hex' })).toBe('0\n');
    expect(await printed('int', 0o22, { printAs: 'octal' })).toBe('022\n');
    expect(await printed('int', 131)).toBe('131\n');
  });
});
