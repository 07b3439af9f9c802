// Standard output through its descriptor (src/core/stdio.ts): terminals told apart without
// node:tty, writes complete and in order, guest text escaped only on a terminal.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
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

  it('writes called before the last one is done go out whole, one after another (a pipe takes a big write in parts)', async () => {
    // --batch's images finish when they do: two 50 KiB report lines written at once through
    // libuv's pool threads were interleaved page by page in a pipe whose reader lagged
    const fifo = join(dir, 'fifo');
    const path = join(dir, 'piped');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // the reader starts late: the pipe fills, and each write goes in as the reader drains it
    const reader = spawn('sh', ['-c', 'sleep 0.2; exec cat "$0" > "$1"', fifo, path], { stdio: 'ignore' });
    const ended = new Promise((resolve) => reader.on('exit', resolve));
    const fd = openSync(fifo, constants.O_RDWR); // does not wait for the reader to open
    const parts = ['a', 'b', 'c', 'd'].map((c) => Buffer.alloc(1 << 20, c));
    try {
      await Promise.all(parts.map((b) => new StdoutWriter(fd).write(b)));
    } finally {
      closeSync(fd);
    }
    await ended;
    const got = readFileSync(path);
    expect(got.length).toBe(4 << 20);
    expect(got.equals(Buffer.concat(parts))).toBe(true);
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
