// The one escaping of guest text for terminals (src/core/escape.ts) and where the writers
// apply it: `lines`/`guestText` escape when the reader is a terminal, `write` never does.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { escapeControls, jsonText } from '../../src/core/escape.js';
import { contentLines, StreamWriter } from '../../src/core/output.js';

const HOSTILE = 'a\x1b]0;pwned\x07b\x1b[2Jc';

/** Every C0 control, DEL and every C1 control. */
const ALL_CONTROLS = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i)].map((c) =>
  String.fromCharCode(c),
);

function captured(escapes: boolean): { w: StreamWriter; text: () => string } {
  const s = new PassThrough();
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return { w: new StreamWriter(s, escapes), text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('escapeControls', () => {
  it('writes ESC, BEL and CSI sequences as visible escapes', () => {
    expect(escapeControls(HOSTILE)).toBe('a\\e]0;pwned\\x07b\\e[2Jc');
  });

  it('leaves no C0, DEL or C1 control in its output', () => {
    const out = escapeControls(ALL_CONTROLS.join(''));
    expect(out).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(out).toContain('\\x00');
    expect(out).toContain('\\t\\n\\x0b\\x0c\\r');
    expect(out).toContain('\\x7f');
    expect(out).toContain('\\u0080');
    expect(out).toContain('\\u009b'); // the one-character CSI
    expect(out).toContain('\\u009f');
  });

  it('keeps printable text as it is: Unicode, backslashes, U+FFFD of undecodable bytes', () => {
    const s = 'Ubuntu 22.04 é 😀 C:\\Windows \u00a0 \ufffd';
    expect(escapeControls(s)).toBe(s);
  });

  it('is idempotent (an escaped message escaped again is unchanged)', () => {
    const once = escapeControls(HOSTILE + ALL_CONTROLS.join(''));
    expect(escapeControls(once)).toBe(once);
  });

  it('keepNewlines keeps LF and CRLF line breaks but escapes a lone CR and everything else', () => {
    expect(escapeControls('a\nb\r\nc\rd\x1b', { keepNewlines: true })).toBe('a\nb\r\nc\\rd\\e');
    expect(escapeControls('a\nb', {})).toBe('a\\nb');
  });
});

describe('jsonText', () => {
  it('escapes DEL and C1 controls that JSON.stringify leaves raw, and parses back to the same value', () => {
    const v = { name: `x${ALL_CONTROLS.join('')}y`, n: 1 };
    const text = jsonText(v, 2);
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/); // only the indentation's line breaks
    expect(JSON.parse(text)).toEqual(v);
  });
});

describe('writers', () => {
  it('a terminal writer escapes guest lines and guest text, but writes content exactly', async () => {
    const { w, text } = captured(true);
    await w.lines([HOSTILE, 'plain']);
    await w.guestText(`${HOSTILE}\n`);
    await w.write(`${HOSTILE}\n`);
    expect(text()).toBe(`a\\e]0;pwned\\x07b\\e[2Jc\nplain\na\\e]0;pwned\\x07b\\e[2Jc\n${HOSTILE}\n`);
  });

  it('a writer to a pipe or file writes guest text exactly', async () => {
    const { w, text } = captured(false);
    await w.lines([HOSTILE, 'with\nnewline']);
    await w.guestText(HOSTILE);
    expect(text()).toBe(`${HOSTILE}\nwith\nnewline\n${HOSTILE}`);
  });

  it('escapes by default only when the stream is a terminal', () => {
    const pipe = new PassThrough();
    expect(new StreamWriter(pipe).escapes).toBe(false);
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    expect(new StreamWriter(tty).escapes).toBe(true);
  });

  it('contentLines joins lines exactly', () => {
    expect(contentLines([HOSTILE, ''])).toBe(`${HOSTILE}\n\n`);
  });
});
