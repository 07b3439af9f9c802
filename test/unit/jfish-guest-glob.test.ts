// glob's pattern pieces: brace expansion and one segment's matcher.
import { describe, expect, it } from 'vitest';
import { expandBraces, hasMagic, segmentRegex } from '../../src/ops/guest-glob.js';

describe('guest glob patterns', () => {
  it('expands braces, nested, and leaves a comma-less brace alone', () => {
    expect(expandBraces('/a/{b,c}/d')).toEqual(['/a/b/d', '/a/c/d']);
    expect(expandBraces('/{x,{y,z}w}')).toEqual(['/x', '/yw', '/zw']);
    expect(expandBraces('/{x}')).toEqual(['/{x}']);
    expect(expandBraces('/\\{a,b}')).toEqual(['/\\{a,b}']);
  });
  it('matches one segment: * ? classes, negation, escapes; nothing crosses a slash', () => {
    expect(segmentRegex('*.log').test('a.log')).toBe(true);
    expect(segmentRegex('*.log').test('a.txt')).toBe(false);
    expect(segmentRegex('?.txt').test('ab.txt')).toBe(false);
    expect(segmentRegex('[ab].log').test('b.log')).toBe(true);
    expect(segmentRegex('[!ab].log').test('b.log')).toBe(false);
    expect(segmentRegex('[!ab].log').test('c.log')).toBe(true);
    expect(segmentRegex('a\\*').test('a*')).toBe(true);
    expect(segmentRegex('a\\*').test('ab')).toBe(false);
    expect(segmentRegex('x(1)+.y').test('x(1)+.y')).toBe(true);
    expect(hasMagic('plain')).toBe(false);
    expect(hasMagic('a\\*')).toBe(false);
    expect(hasMagic('a*')).toBe(true);
  });
});
