// Exact integers beyond 2^53 (issue 12, point 9), without a disk: tool JSON read with
// parseJsonExact, sfdisk tables in bytes as bigints, struct fields and JSON output written exactly.
import { describe, expect, it } from 'vitest';
import { exactInteger, parseJsonExact } from '../../src/core/json.js';
import { parseSfdiskJson } from '../../src/appliance/layout/partition-table.js';
import { jsonText } from '../../src/core/escape.js';
import { fieldText, structList } from '../../src/ops/structs.js';

const EiB = 2n ** 60n;

describe('parseJsonExact', () => {
  it('reads integers beyond 2^53 as bigints, and everything else as JSON.parse does', () => {
    const text =
      '{"virtual-size": 1152921504606846977, "small": 42, "neg": -9007199254740993, "f": 1.5e300, "s": "12345678901234567890", "esc": "a\\"1234567890123456789"}';
    expect(parseJsonExact(text)).toEqual({
      'virtual-size': EiB + 1n,
      small: 42,
      neg: -9007199254740993n,
      f: 1.5e300,
      s: '12345678901234567890',
      esc: 'a"1234567890123456789',
    });
    expect(BigInt((JSON.parse(text) as Record<string, number>)['virtual-size']!)).toBe(EiB); // JSON.parse loses the 1
  });

  it('keeps long literals that fit a double exactly as numbers (16 digits, safe)', () => {
    expect(parseJsonExact('[1234567890123456, 9007199254740991]')).toEqual([1234567890123456, 9007199254740991]);
  });

  it('exactInteger takes numbers and bigints, refuses anything else', () => {
    expect(exactInteger(5, 'x')).toBe(5n);
    expect(exactInteger(EiB, 'x')).toBe(EiB);
    expect(() => exactInteger(1.5, 'x')).toThrow(/not an integer/);
    expect(() => exactInteger(undefined, 'x')).toThrow(/not an integer/);
  });
});

describe('sfdisk tables', () => {
  it('partition offsets and sizes in bytes are exact on an exabyte disk', () => {
    const sectors = EiB / 512n;
    const text = `{"partitiontable": {"label": "gpt", "firstlba": 34, "lastlba": ${sectors - 34n}, "partitions": [{"node": "/dev/loop0p1", "start": ${sectors - 4097n}, "size": 4063, "type": "0FC63DAF-8483-4772-8E79-3D69D8477DE4"}]}}`;
    const t = parseSfdiskJson(text, Number(EiB));
    expect(t.lastLba).toBe(Number(sectors - 34n));
    expect(t.partitions[0]!.start).toBe((sectors - 4097n) * 512n); // 1152921504604749312
    expect(t.partitions[0]!.size).toBe(4063n * 512n);
  });
});

describe('printing', () => {
  it('struct fields write integers by value, not by the double shortest form', () => {
    expect(String(2 ** 60)).toBe('1152921504606847000'); // the bug this guards against
    expect(fieldText(2 ** 60)).toBe('1152921504606846976');
    expect(fieldText(EiB + 1n)).toBe('1152921504606846977');
    expect(fieldText(1.5)).toBe('1.5');
    expect(structList([[['part_size', EiB]]])).toEqual(['[0] = {', '  part_size: 1152921504606846976', '}']);
  });

  it('jsonText writes bigints as exact integer literals', () => {
    const text = jsonText({ virtual_size: EiB + 1n, name: 'bigint-x:1' });
    expect(text).toBe('{"virtual_size":1152921504606846977,"name":"bigint-x:1"}');
    expect(parseJsonExact(text)).toEqual({ virtual_size: EiB + 1n, name: 'bigint-x:1' });
  });
});
