// Passphrases for LUKS volumes, asked as guestfish and virt-inspector ask: one line of stdin
// per key with --keys-from-stdin, else the terminal (/dev/tty) with echo off. A passphrase
// never comes from the command line of a jfish command (it would land in history and `ps`).
import { openSync } from 'node:fs';
import { JootError } from '../core/errors.js';

let pending = '';
let stdinEnded = false;

/** One line of stdin (without its newline); shared, so several keys read consecutive lines. */
async function stdinLine(): Promise<string | undefined> {
  for (;;) {
    const nl = pending.indexOf('\n');
    if (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      return line;
    }
    if (process.stdin.readableEnded || process.stdin.destroyed) stdinEnded = true;
    if (stdinEnded) {
      const rest = pending;
      pending = '';
      return rest === '' ? undefined : rest;
    }
    const chunk = await new Promise<string | undefined>((resolve) => {
      const onData = (b: Buffer) => done(b.toString('utf8'));
      const onEnd = () => done(undefined);
      const done = (v: string | undefined) => {
        process.stdin.off('data', onData).off('end', onEnd).off('error', onEnd);
        process.stdin.pause();
        resolve(v);
      };
      process.stdin.on('data', onData).once('end', onEnd).once('error', onEnd);
      process.stdin.resume();
    });
    if (chunk === undefined) stdinEnded = true;
    else pending += chunk;
  }
}

/** Read a passphrase from the terminal with echo off. */
async function ttyLine(prompt: string): Promise<string> {
  const { ReadStream } = await import('node:tty'); // loaded only when a key is asked for
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    throw new JootError('EINVAL', 'a passphrase is needed but there is no terminal to ask on: use --keys-from-stdin or --key');
  }
  const input = new ReadStream(fd);
  const { writeSync } = await import('node:fs');
  writeSync(fd, prompt);
  input.setRawMode(true);
  try {
    return await new Promise<string>((resolve, reject) => {
      let line = '';
      input.on('data', (b: Buffer) => {
        for (const ch of b.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return resolve(line);
          if (ch === '\u0003') return reject(new JootError('EINTR', 'interrupted'));
          if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
          else line += ch;
        }
      });
    });
  } finally {
    input.setRawMode(false);
    writeSync(fd, '\n');
    input.destroy();
  }
}

/** The key reader of a tool: stdin lines with --keys-from-stdin, else the terminal. */
export function keyReader(fromStdin: boolean): (prompt: string) => Promise<string> {
  return async (prompt) => {
    if (!fromStdin) return ttyLine(prompt);
    const line = await stdinLine();
    if (line === undefined) throw new JootError('EINVAL', '--keys-from-stdin: no more keys on stdin');
    return line;
  };
}
