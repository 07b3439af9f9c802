// guestfish's integer syntax (guestfish(1) NUMBERS: SIZE SUFFIX, OCTAL AND HEXADECIMAL
// NUMBERS; gnulib xstrtoll with suffixes "0kKMGTPEZY").
import { describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { parseInt32, parseInt64, parseMode, parseSafeInt, parseSize } from '../../src/core/numbers.js';

const K = 1024n;

function failure(f: () => unknown): JootError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(JootError);
    expect((e as JootError).code).toBe('EINVAL');
    return e as JootError;
  }
  throw new Error('expected an error');
}

describe('parseInt64', () => {
  const cases: [string, bigint][] = [
    // guestfish(1): 1234, 02322 and 0x4d2 are all 1234
    ['1234', 1234n],
    ['02322', 1234n],
    ['0x4d2', 1234n],
    ['0X4D2', 1234n],
    ['0', 0n],
    ['00', 0n],
    ['-0', 0n],
    ['+7', 7n],
    ['-7', -7n],
    ['-0x10', -16n],
    ['-010', -8n],
    ['0777', 511n],
    ['  42', 42n],
    ['\t42', 42n],
    ['9223372036854775807', 2n ** 63n - 1n],
    ['-9223372036854775808', -(2n ** 63n)],
    ['0x7fffffffffffffff', 2n ** 63n - 1n],
    // size suffixes apply to every integer argument
    ['1k', K],
    ['1K', K],
    ['1KiB', K],
    ['1KB', 1000n],
    ['1kB', 1000n],
    ['1kiB', K],
    ['10k', 10n * K],
    ['100M', 100n * K * K],
    ['1MiB', K * K],
    ['1MB', 1000000n],
    ['1G', K ** 3n],
    ['1GB', 10n ** 9n],
    ['2T', 2n * K ** 4n],
    ['1TB', 10n ** 12n],
    ['1P', K ** 5n],
    ['1PB', 10n ** 15n],
    ['1E', K ** 6n],
    ['7E', 7n * K ** 6n],
    ['9EB', 9n * 10n ** 18n],
    ['0Z', 0n],
    ['0Y', 0n],
    ['-1K', -K],
    ['0x10K', 16n * K],
    ['010K', 8n * K],
  ];
  it.each(cases)('%s', (s, want) => {
    expect(parseInt64(s, 'n')).toBe(want);
  });

  const errors: [string, RegExp][] = [
    ['', /^n: '' is not a number$/],
    ['abc', /not a number/],
    ['-', /not a number/],
    ['+', /not a number/],
    [' ', /not a number/],
    ['K', /not a number/],
    ['MiB', /not a number/],
    ['0x', /unknown size suffix 'x'/],
    ['0xg', /unknown size suffix 'xg'/],
    ['08', /leading 0 means octal/],
    ['0789', /leading 0 means octal/],
    ['12abc', /unknown size suffix 'abc'/],
    ['12 ', /unknown size suffix ' '/],
    ['1.5', /unknown size suffix '.5'/],
    ['1e6', /unknown size suffix 'e6'/],
    ['1m', /unknown size suffix 'm'/],
    ['1g', /unknown size suffix 'g'/],
    ['1t', /unknown size suffix 't'/],
    ['512b', /unknown size suffix 'b'/],
    ['512B', /unknown size suffix 'B'/],
    ['1Mi', /unknown size suffix 'Mi'/],
    ['1MiBx', /unknown size suffix 'MiBx'/],
    ['1KK', /unknown size suffix 'KK'/],
    ['1Mb', /unknown size suffix 'Mb'/],
    ['--1', /not a number/],
    ['9223372036854775808', /out of range/],
    ['-9223372036854775809', /out of range/],
    ['99999999999999999999999', /out of range/],
    ['8E', /out of range/],
    ['1Z', /out of range/],
    ['1Y', /out of range/],
    ['0x8000000000000000', /out of range/],
  ];
  it.each(errors)('refuses %j', (s, re) => {
    expect(failure(() => parseInt64(s, 'n')).message).toMatch(re);
  });
  it('names the argument and lists the suffixes', () => {
    expect(failure(() => parseInt64('3X', 'offset')).message).toBe(
      "offset: '3X' has an unknown size suffix 'X' (use k, K, M, G, T, P, E, Z or Y, optionally followed by B for powers of 1000 or iB for powers of 1024)",
    );
  });
});

describe('parseInt32 (guestfish Int)', () => {
  const ok: [string, number][] = [
    ['0', 0],
    ['2147483647', 2147483647],
    ['-2147483648', -2147483648],
    ['0x7fffffff', 2147483647],
    ['1G', 2 ** 30],
    ['-1G', -(2 ** 30)],
    ['0777', 511],
  ];
  it.each(ok)('%s', (s, want) => {
    expect(parseInt32(s, 'n')).toBe(want);
  });
  it.each(['2147483648', '-2147483649', '2G', '0x80000000', '1T'])('refuses %s', (s) => {
    expect(failure(() => parseInt32(s, 'n')).message).toMatch(/out of range \(-2147483648 to 2147483647\)/);
  });
});

describe('parseSafeInt', () => {
  it.each([
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
    ['-9007199254740991', -Number.MAX_SAFE_INTEGER],
    ['1P', 2 ** 50],
    ['0x1fffffffffffff', Number.MAX_SAFE_INTEGER],
  ] as [string, number][])('%s', (s, want) => {
    expect(parseSafeInt(s, 'n')).toBe(want);
  });
  it.each(['9007199254740992', '-9007199254740992', '8P', '1E'])('refuses %s', (s) => {
    expect(failure(() => parseSafeInt(s, 'n')).message).toMatch(/out of range/);
  });
});

describe('parseSize', () => {
  // guestfish(1): truncate-size /file 1G; -N fs:vfat:32M; -N disk:200M; -N fs (100MB)
  const cases: [string, number][] = [
    ['1G', 2 ** 30],
    ['32M', 32 * 2 ** 20],
    ['200M', 200 * 2 ** 20],
    ['100M', 100 * 2 ** 20],
    ['10k', 10240],
    ['10K', 10240],
    ['1T', 2 ** 40],
    ['1TB', 1e12],
    ['4KiB', 4096],
    ['1MB', 1e6],
    ['512', 512],
    ['0', 0],
    ['+5', 5],
    ['0x1000', 4096],
    ['010', 8],
    ['7P', 7 * 2 ** 50],
    ['8191T', 8191 * 2 ** 40],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ];
  it.each(cases)('%s', (s, want) => {
    expect(parseSize(s, 'size')).toBe(want);
  });
  const errors: [string, RegExp][] = [
    ['-1', /^size: '-1' must not be negative$/],
    ['-0', /must not be negative/],
    [' -1', /must not be negative/],
    ['-1G', /must not be negative/],
    ['1.5G', /unknown size suffix/],
    ['10 M', /unknown size suffix/],
    ['1g', /unknown size suffix 'g'/],
    ['512b', /unknown size suffix 'b'/],
    ['G', /not a number/],
    ['', /not a number/],
    ['8E', /too large \(at most 9007199254740991 bytes\)/],
    ['9007199254740992', /too large/],
    ['8192P', /too large/],
    ['8P', /too large/],
    ['16E', /out of range/],
    ['1Z', /out of range/],
  ];
  it.each(errors)('refuses %j', (s, re) => {
    expect(failure(() => parseSize(s, 'size')).message).toMatch(re);
  });
});

describe('parseMode', () => {
  const cases: [string, number][] = [
    ['0644', 0o644],
    ['0755', 0o755],
    ['0777', 0o777], // guestfish(1): chmod 0777 /public  # OK
    ['777', 777], // guestfish(1): chmod 777 /public  # WRONG! decimal 777 = 01411
    ['0o644', 0o644],
    ['0O600', 0o600],
    ['00', 0],
    ['0', 0],
    ['07777', 0o7777],
    ['04755', 0o4755],
    ['0x1ed', 0o755],
    ['420', 0o644],
  ];
  it.each(cases)('%s', (s, want) => {
    expect(parseMode(s)).toBe(want);
  });
  it('777 is 01411, as guestfish documents', () => {
    expect(parseMode('777')).toBe(0o1411);
  });
  const errors: [string, RegExp][] = [
    ['010000', /out of range for a file mode \(0 to 07777\)/],
    ['4096', /out of range/],
    ['-1', /must not be negative/],
    ['0o', /not an integer/],
    ['0o8', /not an integer/],
    ['0644x', /not an integer \(unexpected 'x'\)/],
    ['1k', /not an integer/],
    ['rwx', /not a number/],
    ['0689', /leading 0 means octal/],
    ['', /not a number/],
  ];
  it.each(errors)('refuses %j', (s, re) => {
    expect(failure(() => parseMode(s)).message).toMatch(re);
  });
  it('names the argument', () => {
    expect(failure(() => parseMode('x', 'perms')).message).toBe("perms: 'x' is not a number");
  });
});
