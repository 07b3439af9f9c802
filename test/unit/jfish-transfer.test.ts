// jfish's transfer commands (upload, download, copy-in, copy-out) through the command table,
// against a fake session whose guest is a temporary directory (GuestReader / GuestWriter over
// it), plus the progress bar. Includes symlink-escape attempts in both directions.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GuestReader } from '../../src/appliance/guest-reader.js';
import { GuestWriter } from '../../src/appliance/guest-writer.js';
import type { Writer } from '../../src/core/output.js';
import type { Ctx } from '../../src/tools/jfish/command.js';
import { runScript } from '../../src/tools/jfish/dispatch.js';
import { lookup, table } from '../../src/tools/jfish/table.js';
import { commandList } from '../../src/tools/jfish/help.js';
import { Progress, progressLine } from '../../src/ops/progress.js';
import { upload } from '../../src/ops/transfer-ops.js';

class MemWriter implements Writer {
  chunks: Buffer[] = [];
  closed = false;
  escapes = false;
  async write(data: string | Uint8Array): Promise<void> {
    this.chunks.push(Buffer.from(data));
  }
  async lines(lines: Iterable<string>): Promise<void> {
    for (const l of lines) this.chunks.push(Buffer.from(`${l}\n`));
  }
  async guestText(s: string): Promise<void> {
    await this.write(s);
  }

  get buf(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

let top = '';
let guest = '';
let host = '';
let decoy = '';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeEach(() => {
  top = mkdtempSync(join(tmpdir(), 'jfish-transfer-'));
  guest = join(top, 'guest');
  host = join(top, 'host');
  decoy = join(top, 'decoy');
  for (const d of [guest, host, decoy, join(guest, 'etc'), join(guest, 'srv')]) mkdirSync(d);
  writeFileSync(join(guest, 'hello.txt'), 'hello\n');
  writeFileSync(join(guest, 'etc/shadow'), 'guest shadow\n');
  symlinkSync('/etc/shadow', join(guest, 'shadowlink'));
  symlinkSync(decoy, join(guest, 'srv/decoy')); // a guest link naming a host directory
  symlinkSync(`../../../../../../../../..${decoy}`, join(guest, 'srv/updecoy'));
  writeFileSync(join(decoy, 'keep'), 'decoy\n');
});
afterEach(() => rmSync(top, { recursive: true, force: true }));

function context(opts: { readonly?: boolean } = {}) {
  const reader = new GuestReader(guest);
  const writer = new GuestWriter(reader, guest, { readonly: opts.readonly });
  const session = { launched: true, reader, writer };
  const out = new MemWriter();
  const ctx = { session, out, readonly: opts.readonly ?? false, table } as unknown as Ctx;
  return { ctx, out };
}

async function jf(lines: string[][], opts: { readonly?: boolean } = {}): Promise<Buffer> {
  const c = context(opts);
  await runScript(c.ctx, lines);
  return c.out.buf;
}

function decoyUntouched(): void {
  expect(readdirSync(decoy)).toEqual(['keep']);
  expect(readFileSync(join(decoy, 'keep'), 'utf8')).toBe('decoy\n');
}

describe('jfish transfer commands', () => {
  it('are in the table, in their own group', () => {
    for (const n of ['upload', 'download', 'copy-in', 'copy-out']) expect(lookup(n)?.group, n).toBe('transfer');
    expect(lookup('copy_in')?.name).toBe('copy-in');
    expect(commandList(table.commands)).toMatch(/^Transfer:\n( {4}.*\n)* {4}copy-in /m);
  });

  it('upload then download round-trips a multi-chunk file', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 9)) & 0xff;
    writeFileSync(join(host, 'big.bin'), data);
    await jf([
      ['upload', join(host, 'big.bin'), '/srv/big.bin'],
      ['download', '/srv/big.bin', join(host, 'back.bin')],
    ]);
    expect(sha(readFileSync(join(guest, 'srv/big.bin')))).toBe(sha(data));
    expect(sha(readFileSync(join(host, 'back.bin')))).toBe(sha(data));
    expect(statSync(join(guest, 'srv/big.bin')).mode & 0o777).toBe(0o666 & ~process.umask());
  });

  it('download - writes to the output; relative host paths use the cwd', async () => {
    expect((await jf([['download', '/hello.txt', '-']])).toString()).toBe('hello\n');
    const cwd = process.cwd();
    try {
      process.chdir(host);
      await jf([
        ['download', '/hello.txt', 'rel.txt'],
        ['upload', 'rel.txt', '/srv/rel.txt'],
      ]);
    } finally {
      process.chdir(cwd);
    }
    expect(readFileSync(join(host, 'rel.txt'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(guest, 'srv/rel.txt'), 'utf8')).toBe('hello\n');
  });

  it('upload - reads stdin', async () => {
    const { ctx } = context();
    async function* stdin() {
      yield Buffer.from('from ');
      yield 'stdin\n';
    }
    await upload(ctx.session, '-', '/srv/in.txt', { stdin: stdin() });
    expect(readFileSync(join(guest, 'srv/in.txt'), 'utf8')).toBe('from stdin\n');
  });

  it('upload follows a final guest link inside the guest, never to the host', async () => {
    writeFileSync(join(host, 'x'), 'new shadow\n');
    await jf([['upload', join(host, 'x'), '/shadowlink']]);
    expect(readFileSync(join(guest, 'etc/shadow'), 'utf8')).toBe('new shadow\n');
    expect(lstatSync(join(guest, 'shadowlink')).isSymbolicLink()).toBe(true);
    // through a link to a host directory: resolved inside the guest, where it does not exist
    await expect(jf([['upload', join(host, 'x'), '/srv/decoy/keep']])).rejects.toThrow(/No such file or directory/);
    await expect(jf([['upload', join(host, 'x'), '/srv/updecoy/new']])).rejects.toThrow(/No such file or directory/);
    decoyUntouched();
  });

  it('download refuses directories and missing files, naming guest paths only', async () => {
    await expect(jf([['download', '/etc', join(host, 'o')]])).rejects.toThrow('/etc: Is a directory');
    const e = await jf([['download', '/nope', join(host, 'o')]]).catch((x: Error) => x);
    expect(String(e)).toMatch(/\/nope: No such file or directory/);
    expect(String(e)).not.toContain(guest);
  });

  it('refuses writes on a read-only session with the one-line error', async () => {
    writeFileSync(join(host, 'x'), 'x');
    await expect(jf([['upload', join(host, 'x'), '/srv/x']], { readonly: true })).rejects.toThrow('/srv/x: the session is read-only');
    await expect(jf([['copy-in', join(host, 'x'), '/srv']], { readonly: true })).rejects.toThrow('/srv: the session is read-only');
    expect(existsSync(join(guest, 'srv/x'))).toBe(false);
    // reading works
    await jf(
      [
        ['download', '/hello.txt', join(host, 'h')],
        ['copy-out', '/etc', host],
      ],
      { readonly: true },
    );
    expect(readFileSync(join(host, 'etc/shadow'), 'utf8')).toBe('guest shadow\n');
  });

  it('copy-in copies a tree with modes and links, then copy-out brings it back identical', async () => {
    const t = join(host, 'tree');
    mkdirSync(join(t, 'sub/deep'), { recursive: true });
    writeFileSync(join(t, 'a.txt'), 'A\n');
    writeFileSync(join(t, 'sub/run.sh'), '#!/bin/sh\n');
    chmodSync(join(t, 'sub/run.sh'), 0o750);
    chmodSync(join(t, 'sub/deep'), 0o711);
    symlinkSync('/etc/passwd', join(t, 'abs'));
    symlinkSync('../a.txt', join(t, 'sub/rel'));
    writeFileSync(join(host, 'single'), 'one');
    await jf([['copy-in', t, join(host, 'single'), '/srv']]);
    expect(readFileSync(join(guest, 'srv/tree/a.txt'), 'utf8')).toBe('A\n');
    expect(readFileSync(join(guest, 'srv/single'), 'utf8')).toBe('one');
    expect(statSync(join(guest, 'srv/tree/sub/run.sh')).mode & 0o7777).toBe(0o750);
    expect(statSync(join(guest, 'srv/tree/sub/deep')).mode & 0o7777).toBe(0o711);
    expect(readlinkSync(join(guest, 'srv/tree/abs'))).toBe('/etc/passwd');
    expect(readlinkSync(join(guest, 'srv/tree/sub/rel'))).toBe('../a.txt');

    const back = join(host, 'back');
    mkdirSync(back);
    await jf([['copy-out', '/srv/tree', '/srv/single', back]]);
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => {
        const p = join(d, e.name);
        const st = lstatSync(p);
        const desc = `${e.name} ${st.mode.toString(8)} ${e.isSymbolicLink() ? readlinkSync(p) : e.isFile() ? readFileSync(p, 'utf8') : ''}`;
        return e.isDirectory() ? [desc, ...walk(p).map((x) => `${e.name}/${x}`)] : [desc];
      });
    expect(walk(join(back, 'tree'))).toEqual(walk(t));
    expect(readFileSync(join(back, 'single'), 'utf8')).toBe('one');
  });

  it('copy-in never writes through a guest link to a host decoy directory', async () => {
    const t = join(host, 'decoy'); // same name as the guest link /srv/decoy
    mkdirSync(t);
    writeFileSync(join(t, 'evil'), 'evil\n');
    writeFileSync(join(host, 'keep'), 'evil\n');
    await jf([['copy-in', t, '/srv']]);
    expect(lstatSync(join(guest, 'srv/decoy')).isDirectory()).toBe(true); // the link was replaced
    expect(readFileSync(join(guest, 'srv/decoy/evil'), 'utf8')).toBe('evil\n');
    decoyUntouched();
    // the remote dir itself through a link: resolved inside the guest, where it does not exist
    await expect(jf([['copy-in', join(host, 'keep'), '/srv/updecoy']])).rejects.toThrow('/srv/updecoy: Not a directory');
    symlinkSync(decoy, join(guest, 'srv/decoy2'));
    await expect(jf([['copy-in', join(host, 'keep'), '/srv/decoy2']])).rejects.toThrow('/srv/decoy2: Not a directory');
    decoyUntouched();
  });

  it('copy-out recreates guest links as links, never copying host files', async () => {
    const out = join(host, 'out');
    mkdirSync(out);
    await jf([['copy-out', '/shadowlink', out]]);
    expect(lstatSync(join(out, 'shadowlink')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(out, 'shadowlink'))).toBe('/etc/shadow');
    // a link to a host dir inside a copied tree stays a link
    await jf([['copy-out', '/srv', out]]);
    expect(readlinkSync(join(out, 'srv/decoy'))).toBe(decoy);
    // a later guest directory of the same name replaces the host link, never writes through it
    rmSync(join(guest, 'srv/decoy'));
    mkdirSync(join(guest, 'srv/decoy'));
    writeFileSync(join(guest, 'srv/decoy/keep'), 'from guest\n');
    writeFileSync(join(guest, 'srv/decoy/extra'), 'x');
    await jf([['copy-out', '/srv', out]]);
    expect(lstatSync(join(out, 'srv/decoy')).isDirectory()).toBe(true);
    expect(readFileSync(join(out, 'srv/decoy/keep'), 'utf8')).toBe('from guest\n');
    decoyUntouched();
  });

  it('copy-out drops set-user-ID bits and copies / into the directory', async () => {
    writeFileSync(join(guest, 'srv/suid'), 'x');
    chmodSync(join(guest, 'srv/suid'), 0o4755);
    const out = join(host, 'o');
    mkdirSync(out);
    await jf([['copy-out', '/srv/suid', out]]);
    expect(statSync(join(out, 'suid')).mode & 0o7777).toBe(0o755);
    const all = join(host, 'all');
    mkdirSync(all);
    await jf([['copy-out', '/', all]]);
    expect(readdirSync(all).sort()).toEqual(['etc', 'hello.txt', 'shadowlink', 'srv']);
  });

  it('checks its arguments', async () => {
    await expect(jf([['copy-in', '/x']])).rejects.toThrow('expected at least 2 arguments');
    await expect(jf([['copy-in', join(host), 'rel']])).rejects.toThrow(/remotedir: 'rel' is not an absolute path/);
    await expect(jf([['copy-out', '/hello.txt', join(host, 'missing')]])).rejects.toThrow(/missing: No such file or directory/);
    await expect(jf([['copy-in', join(host, 'nope'), '/srv']])).rejects.toThrow(/nope: No such file or directory/);
    await expect(jf([['copy-in', join(host), '/hello.txt']])).rejects.toThrow('/hello.txt: Not a directory');
  });
});

describe('progress bar', () => {
  function tty(isTTY: boolean) {
    const writes: string[] = [];
    return { stream: { isTTY, columns: 200, write: (t: string) => writes.push(t) }, writes };
  }

  it('formats percent, bytes and rate', () => {
    expect(progressLine('upload /x', 5 * 1024 * 1024, 10 * 1024 * 1024, 1000)).toBe('upload /x  50% 5.0 MiB / 10.0 MiB 5.0 MiB/s');
  });

  it('draws at most every 100 ms, only on a TTY and over 8 MiB, and clears', () => {
    let now = 0;
    const t = tty(true);
    const p = new Progress('x', 100 * 1024 * 1024, t.stream, () => now);
    for (let i = 0; i < 100; i++) {
      now += 10;
      p.add(1024 * 1024);
    }
    p.finish();
    expect(t.writes.length).toBeLessThanOrEqual(12);
    expect(t.writes[0]).toMatch(/^\rx +1% /);
    expect(t.writes.at(-1)).toBe('\r\x1b[K');

    const notty = tty(false);
    const q = new Progress('x', 100 * 1024 * 1024, notty.stream);
    q.add(50 * 1024 * 1024);
    q.finish();
    const small = tty(true);
    const r = new Progress('x', 1024 * 1024, small.stream);
    r.add(1024);
    r.finish();
    expect(notty.writes).toEqual([]);
    expect(small.writes).toEqual([]);
  });
});
