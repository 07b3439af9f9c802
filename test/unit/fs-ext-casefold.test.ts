// The kernel's utf8 casefold of ext4 casefolded directories: the nfdicf vectors of the kernel's
// own KUnit suite (fs/unicode/tests/utf8_kunit.c), canonical ordering, and the cases where
// it differs from a plain lower-casing (ß, final sigma, İ, Cherokee, ligatures).
import { describe, expect, it } from 'vitest';
import { casefoldKey, kernelCasefold } from '../../src/disk/fs/ext/casefold.js';

const hex = (s: string | undefined) => (s === undefined ? 'invalid' : Buffer.from(s).toString('hex'));
const fold = (b: Buffer | string) => hex(kernelCasefold(typeof b === 'string' ? Buffer.from(b) : b));

describe('kernel utf8 casefold', () => {
  it.each([
    ['aBba', '61626261'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZ0.1', Buffer.from('abcdefghijklmnopqrstuvwxyz0.1').toString('hex')],
    ['\u00df', '7373'],
    ['\u00c5', '61cc8a'],
    ['\uab70', 'e18ea0'],
    ['\u13f8', 'e18fb0'],
    ['\u{10c83}', 'f090b383'],
    ['\u{104b5}', 'f090939d'],
    ['\ua7ae', 'c9aa'],
    ['\u1c90', 'e18390'],
  ])('KUnit nfdicf vector %s', (input, want) => {
    expect(fold(input)).toBe(want);
  });
  it('decomposes and puts combining marks in canonical order', () => {
    // A + acute + ogonek -> a + ogonek + acute (KUnit's nfdi ordering vector, folded)
    expect(fold('A\u0301\u0328')).toBe('61cca8cc81');
    expect(fold('\u00e4\u0328')).toBe(fold('a\u0328\u0308'));
    expect(fold('\u00c9cole')).toBe(fold('e\u0301cole'));
  });
  it('folds as Unicode case folding does, not as lower-casing does', () => {
    expect(kernelCasefold(Buffer.from('ΣΊΣΥΦΟΣ'))).toBe(kernelCasefold(Buffer.from('σίσυφος')));
    expect(kernelCasefold(Buffer.from('\u0130'))).toBe('i\u0307');
    expect(kernelCasefold(Buffer.from('\ufb03x'))).toBe('ffix');
    expect(kernelCasefold(Buffer.from('\u212akelvin'))).toBe('kkelvin');
    expect(kernelCasefold(Buffer.from('\u2126'))).toBe('\u03c9');
    expect(kernelCasefold(Buffer.from('\u216b'))).toBe('\u217b');
    expect(kernelCasefold(Buffer.from('\u1fb3'))).toBe('\u03b1\u03b9');
  });
  it('keeps default-ignorable code points (Linux 6.13 and later) and characters newer than Unicode 12.1', () => {
    expect(kernelCasefold(Buffer.from('A\u200bB'))).toBe('a\u200bb');
    // U+A7C7 (Unicode 13) has a lower-case pair the kernel's 12.1 table does not know
    expect(kernelCasefold(Buffer.from('\ua7c7'))).toBe('\ua7c7');
  });
  it('invalid UTF-8 has no folded form: compared byte for byte', () => {
    expect(kernelCasefold(Buffer.from([0x62, 0xff]))).toBeUndefined();
    expect(kernelCasefold(Buffer.from([0xed, 0xa0, 0x80]))).toBeUndefined();
    expect(kernelCasefold(Buffer.from([0xc0, 0xaf]))).toBeUndefined();
    expect(casefoldKey(Buffer.from([0x62, 0xff]), false)).not.toBe(casefoldKey(Buffer.from([0x42, 0xff]), false));
    expect(casefoldKey(Buffer.from([0x62, 0xff]), true)).toBeUndefined();
    expect(casefoldKey(Buffer.from('Straße'), true)).toBe(casefoldKey(Buffer.from('STRASSE'), false));
  });
});
