// Standard output through its descriptor (src/core/stdio.ts): terminals told apart without
// node:tty, writes complete and in order, guest text escaped only on a terminal.
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fdIsTerminal, StdoutWriter } from '../../src/core/stdio.js';

const dir = mkdtempSync(join(tmpdir(), 'stdio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stdio', () => {
  it('a file, /dev/null and a bad descriptor are no terminal; a pty master is one', () => {
    const file = openSync(join(dir, 'f'), 'w');
    const devnull = openSync('/dev/null', 'w');
    try {
      expect(fdIsTerminal(file)).toBe(false);
      expect(fdIsTerminal(devnull)).toBe(false);
      expect(fdIsTerminal(9999)).toBe(false);
    } finally {
      closeSync(file);
      closeSync(devnull);
    }
    if (existsSync('/dev/ptmx')) {
      const pty = openSync('/dev/ptmx', 'r+');
      try {
        expect(fdIsTerminal(pty)).toBe(true);
      } finally {
        closeSync(pty);
      }
    }
  });

  it('writes everything, in order; guest text is exact off a terminal', async () => {
    const path = join(dir, 'out');
    const fd = openSync(path, 'w');
    try {
      const w = new StdoutWriter(fd);
      expect(w.escapes).toBe(false);
      const big = Buffer.alloc(3 << 20, 0x61);
      await w.write('first\n');
      await w.write(big);
      await w.lines(['name\x1b[2J']);
      await w.write('');
      expect(w.closed).toBe(false);
      // Buffer.equals: vitest's deep equality walks 3 MiB element by element (34 s)
      const want = Buffer.concat([Buffer.from('first\n'), big, Buffer.from('name\x1b[2J\n')]);
      const got = readFileSync(path);
      expect(got.length).toBe(want.length);
      expect(got.equals(want)).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('escapes guest text when told the reader is a terminal', async () => {
    const path = join(dir, 'tty');
    const fd = openSync(path, 'w');
    try {
      await new StdoutWriter(fd, true).lines(['a\x1b]0;owned\x07b']);
      expect(readFileSync(path, 'utf8')).toBe('a\\e]0;owned\\x07b\n');
    } finally {
      closeSync(fd);
    }
  });
});
