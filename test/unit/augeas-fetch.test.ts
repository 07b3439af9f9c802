// The copy of the guest files Augeas works on (appliance/augeas/fetch.ts), over a guest tree in
// a host directory: the filters' globs (*, ?, [..], **), excl by base name, regular files only,
// symlinks resolved inside the guest (never to the host), the bounds; and what changed since.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changesSince, fetchFiles } from '../../src/appliance/augeas/fetch.js';
import { mountedGuestReader } from '../../src/appliance/guest-files.js';

let work = '';
let guest = '';
let copy = '';
let host = '';

function put(rel: string, data: string): void {
  mkdirSync(join(guest, rel, '..'), { recursive: true });
  writeFileSync(join(guest, rel), data);
}

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'augeas-fetch-'));
  guest = join(work, 'guest');
  copy = join(work, 'copy');
  host = join(work, 'host-secret');
  mkdirSync(guest);
  mkdirSync(copy);
  writeFileSync(host, '10.6.6.6 secret\n');
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

async function fetch(incl: string[], excl: string[] = [], warn: string[] = []) {
  return fetchFiles({ reader: mountedGuestReader(guest), root: '/', hostDir: copy, incl, excl, warn: (m) => warn.push(m) });
}

describe('fetchFiles', () => {
  it('copies what the globs name, leaving out excl matches and dot files', async () => {
    put('etc/hosts', 'h');
    put('etc/a.conf', 'a');
    put('etc/.hidden.conf', 'x');
    put('etc/b.conf.bak', 'b');
    put('etc/c.bak', 'c');
    put('etc/sw.d/x/y/z.conf', 'z');
    put('etc/sw.d/top.conf', 't');
    put('etc/n1', '1');
    put('etc/n2', '2');
    const s = await fetch(['/etc/hosts', '/etc/*.conf', '/etc/*.bak', '/etc/sw.d/**/*.conf', '/etc/n[12]', '/etc/missing'], ['*.bak']);
    expect([...s.keys()].sort()).toEqual(['etc/a.conf', 'etc/hosts', 'etc/n1', 'etc/n2', 'etc/sw.d/top.conf', 'etc/sw.d/x/y/z.conf']);
    expect(readFileSync(join(copy, 'etc/sw.d/x/y/z.conf'), 'utf8')).toBe('z');
  });

  it('follows symlinks inside the guest only', async () => {
    put('etc/real/hosts', '127.0.0.1 inside\n');
    mkdirSync(join(guest, 'etc/conf.d'));
    symlinkSync('/etc/real/hosts', join(guest, 'etc/hosts'));
    symlinkSync(host, join(guest, 'etc/conf.d/abs'));
    symlinkSync(`../../../../../../../..${host}`, join(guest, 'etc/conf.d/rel'));
    symlinkSync(join(work), join(guest, 'etc/dirlink'));
    const warn: string[] = [];
    const s = await fetch(['/etc/hosts', '/etc/conf.d/*', '/etc/dirlink/*'], [], warn);
    expect([...s.keys()]).toEqual(['etc/hosts']);
    expect(s.get('etc/hosts')!.toString()).toBe('127.0.0.1 inside\n');
    for (const b of s.values()) expect(b.toString()).not.toContain('secret');
  });

  it("refuses a glob with '..'", async () => {
    await expect(fetch(['/../etc/passwd'])).rejects.toThrow(/'\.\.' is refused/);
  });

  it('leaves out files over the size bound, with a warning', async () => {
    put('etc/big.conf', 'x'.repeat(17 * 1024 * 1024));
    const warn: string[] = [];
    const s = await fetch(['/etc/*.conf'], [], warn);
    expect(s.size).toBe(0);
    expect(warn).toEqual(['/etc/big.conf: larger than 16 MiB, not loaded']);
  });
});

describe('changesSince', () => {
  it('names files written, created and removed', async () => {
    put('etc/a', 'a');
    put('etc/b', 'b');
    put('etc/c', 'c');
    const s = await fetch(['/etc/*']);
    writeFileSync(join(copy, 'etc/a'), 'A');
    writeFileSync(join(copy, 'etc/new.augnew'), 'n');
    rmSync(join(copy, 'etc/c'));
    const { written, removed } = await changesSince(copy, s);
    expect(written.map(([r, d]) => [r, d.toString()]).sort()).toEqual([
      ['etc/a', 'A'],
      ['etc/new.augnew', 'n'],
    ]);
    expect(removed).toEqual(['etc/c']);
  });
});
