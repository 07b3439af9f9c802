// src/core/collate.ts orders printable ASCII without ICU: it must give ICU's answers exactly
// (the kernel engine, the userspace engine and inspection sort names and versions with it).
import { describe, expect, it } from 'vitest';
import { compareNatural, compareText } from '../../src/core/collate.js';
import { prng } from './prng.js';

const icuNatural = new Intl.Collator('en', { numeric: true }).compare;
const icuText = new Intl.Collator('en').compare;
const sign = (n: number): number => Math.sign(n);

const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
// few letters and many digits and separators: near misses, equal numbers, case-only differences
const DENSE = 'aAbBzZ00012999 _-./~+$:';

function strings(alphabet: string, n: number, seed: number): string[] {
  const r = prng(seed);
  return Array.from({ length: n }, () =>
    Array.from({ length: Math.floor(r() * 9) }, () => alphabet[Math.floor(r() * alphabet.length)]).join(''),
  );
}

describe('compareNatural / compareText', () => {
  for (const [name, alphabet] of [
    ['dense', DENSE],
    ['printable ASCII', PRINTABLE],
  ] as const) {
    it(`agree with Intl.Collator('en') on random ${name} strings`, () => {
      const xs = strings(alphabet, 3000, alphabet.length);
      const bad: string[] = [];
      for (let k = 0; k + 1 < xs.length; k++) {
        for (const [a, b] of [
          [xs[k]!, xs[k + 1]!],
          [xs[k]!, xs[k]!.toUpperCase()],
          [xs[k]!, xs[k]!.replace(/\d+/, (d) => `0${d}`)],
        ] as const) {
          if (sign(compareNatural(a, b)) !== sign(icuNatural(a, b))) bad.push(`natural ${JSON.stringify(a)} ${JSON.stringify(b)}`);
          if (sign(compareText(a, b)) !== sign(icuText(a, b))) bad.push(`text ${JSON.stringify(a)} ${JSON.stringify(b)}`);
        }
      }
      expect(bad.slice(0, 10)).toEqual([]);
    });
  }

  it('sorts names and versions as people read them', () => {
    expect(['md10', 'md9', 'MD9', 'md09', 'md1'].sort(compareNatural)).toEqual(['md1', 'md9', 'md09', 'MD9', 'md10']);
    expect(['6.10.0-1-amd64', '6.9.0-2-amd64', '6.1.0-13-amd64'].sort(compareNatural)).toEqual([
      '6.1.0-13-amd64',
      '6.9.0-2-amd64',
      '6.10.0-1-amd64',
    ]);
    expect(['lv10', 'lv2', 'lv-b', 'lv_a'].sort(compareText)).toEqual(['lv_a', 'lv-b', 'lv10', 'lv2']);
  });

  it('leaves other text to ICU', () => {
    for (const [a, b] of [
      ['été', 'ete'],
      ['a\tb', 'a b'],
      ['1'.repeat(300), '1'.repeat(299)],
    ] as const) {
      expect(sign(compareNatural(a, b))).toBe(sign(icuNatural(a, b)));
      expect(sign(compareText(a, b))).toBe(sign(icuText(a, b)));
    }
  });
});
