// The jfish command table, argv scanning, argument parsing and dispatch — no root, no devices:
// a fake session stands in for the appliance.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { UsageError } from '../../src/tools/cli.js';
import { StreamWriter, type Writer } from '../../src/core/output.js';
import { parseArgs, usage } from '../../src/ops/args.js';
import { prescan, splitCommands } from '../../src/tools/jfish/argv.js';
import { defineCommand, type Command, type Ctx } from '../../src/tools/jfish/command.js';
import { CommandError, runScript } from '../../src/tools/jfish/dispatch.js';
import { commandList } from '../../src/tools/jfish/help.js';
import { buildIndex, commands, lookup, table, tableProblems } from '../../src/tools/jfish/table.js';

const types = ['device', 'mountable', 'path', 'string', 'int', 'int64', 'bool', 'filein', 'fileout', 'key'];

class MemWriter implements Writer {
  text = '';
  closed = false;
  escapes = false;
  async write(data: string | Uint8Array): Promise<void> {
    this.text += typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  }
  async lines(lines: Iterable<string>): Promise<void> {
    for (const l of lines) this.text += `${l}\n`;
  }
  async guestText(s: string): Promise<void> {
    await this.write(s);
  }
}

/** Just enough of Session for the commands, recording the calls it gets. */
function fakeSession() {
  const calls: string[] = [];
  const files: Record<string, string> = { '/hello.txt': 'hi\n' };
  const s = {
    launched: false,
    calls,
    async launch() {
      s.launched = true;
      calls.push('launch');
    },
    listDevices: () => ['/dev/sda', '/dev/sdb'],
    listPartitions: () => ['/dev/sda1', '/dev/sda2'],
    listFilesystems: () =>
      new Map([
        ['/dev/sda1', 'ext4'],
        ['btrfsvol:/dev/sda2/@', 'btrfs'],
      ]),
    async vfsType(d: string) {
      return d === '/dev/sda1' ? 'ext4' : 'unknown';
    },
    async vfsLabel() {
      return '';
    },
    async vfsUuid() {
      return '01234567-89ab-cdef-0123-456789abcdef';
    },
    pvs: () => ['/dev/sda2'],
    vgs: () => ['vg0'],
    lvs: () => ['/dev/vg0/root'],
    async mount(dev: string, mp: string, o?: { readonly?: boolean }) {
      calls.push(`mount ${dev} ${mp} ${o?.readonly ? 'ro' : 'rw'}`);
    },
    async umount(m: string) {
      calls.push(`umount ${m}`);
    },
    async umountAll() {
      calls.push('umount-all');
    },
    mountpoints: () => [
      { device: '/dev/sda1', mountpoint: '/', vfstype: 'ext4', readonly: true },
      { device: '/dev/sda2', mountpoint: '/boot', vfstype: 'ext4', readonly: true },
    ],
    mounts: () => ['/dev/sda1', '/dev/sda2'],
    async readFile(p: string) {
      const f = files[p];
      if (f === undefined) throw new JootError('ENOENT', `${p}: no such file or directory`);
      return Buffer.from(f);
    },
    async readdir() {
      return ['hello.txt', 'lost+found'];
    },
    async exists(p: string) {
      return p in files;
    },
    async isFile(p: string) {
      return p in files;
    },
    async isDir(p: string) {
      return p === '/';
    },
    // is-file and is-dir look at the path itself (guestfish's lstat)
    async lstat(p: string) {
      if (!(p in files) && p !== '/') throw new JootError('ENOENT', `${p}: no such file or directory`);
      return { isFile: p in files, isDirectory: p === '/', isSymbolicLink: false };
    },
    async close() {
      calls.push('close');
    },
  };
  return s;
}

function context(readonly = false) {
  const session = fakeSession();
  const out = new MemWriter();
  const ctx = { session, out, readonly, table } as unknown as Ctx;
  return { ctx, session, out };
}

async function script(words: string[], readonly = false) {
  const c = context(readonly);
  await runScript(c.ctx, splitCommands(words));
  return c;
}

describe('command table', () => {
  it('has unique names and aliases', () => {
    const seen = new Set<string>();
    for (const c of commands) {
      for (const n of [c.name, ...(c.aliases ?? [])]) {
        expect(seen.has(n), n).toBe(false);
        seen.add(n);
      }
    }
  });

  it('refuses a table with a duplicate name or alias', () => {
    const a = commands[0]!;
    const dup: Command = { ...commands[1]!, aliases: [a.name] };
    expect(() => buildIndex([a, dup])).toThrow(/declared by both/);
  });

  it('types every argument and describes every command', () => {
    expect(tableProblems(commands)).toEqual([]);
    expect(tableProblems([{ ...commands[0]!, summary: ' ', name: 'Bad_Name' }])).toEqual([
      'Bad_Name: no summary',
      "Bad_Name: name or alias 'Bad_Name' is not lower-case with dashes",
    ]);
    for (const c of commands) {
      expect(c.summary.trim(), c.name).not.toBe('');
      expect(c.summary, c.name).not.toContain('\n');
      expect(c.description.trim(), c.name).not.toBe('');
      for (const a of c.args) {
        expect(types, `${c.name} ${a.name}`).toContain(a.type);
        expect(a.name, c.name).toMatch(/^[a-z][a-z0-9]*$/); // guestfish's names (xfs-admin v2log)
      }
    }
  });

  it('has the first-cut commands', () => {
    const want =
      'run launch list-devices list-partitions list-filesystems vfs-type vfs-label vfs-uuid pvs vgs lvs mount mount-ro umount-all mounts mountpoints ls cat exists is-file is-dir help';
    for (const n of want.split(' ')) expect(lookup(n), n).toBeDefined();
    expect(lookup('launch')).toBe(lookup('run'));
    expect(lookup('list_devices')).toBe(lookup('list-devices'));
    expect(lookup('no-such-command')).toBeUndefined();
  });

  it('lists every command in help', async () => {
    const text = commandList(commands);
    const literal = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const c of commands) expect(text).toMatch(new RegExp(`^ +${literal(c.name)} +${literal(c.summary)}$`, 'm'));
    const { out } = await script(['help']);
    expect(out.text).toBe(text);
  });

  it('shows usage and description of one command', async () => {
    const { out } = await script(['help', 'mount-ro']);
    expect(out.text).toContain('mount-ro mountable mountpoint');
    expect(out.text).toContain('read-only');
    const launch = await script(['help', 'launch']);
    expect(launch.out.text).toContain('run - ');
    await expect(script(['help', 'nope'])).rejects.toThrow(/unknown command: nope/);
  });
});

describe('argv', () => {
  it('splits commands on lone colons', () => {
    expect(splitCommands(['run', ':', 'mount-ro', '/dev/sda1', '/', ':', 'cat', '/a:b'])).toEqual([
      ['run'],
      ['mount-ro', '/dev/sda1', '/'],
      ['cat', '/a:b'],
    ]);
    expect(splitCommands([':', 'run', ':', ':', 'ls', '/', ':'])).toEqual([['run'], ['ls', '/']]);
    expect(splitCommands([])).toEqual([]);
  });

  it('applies --format to the -a options that follow it, in order', () => {
    const s = prescan([
      '-a',
      'one.img',
      '--format=raw',
      '-a',
      'two.img',
      '--add',
      'three.img',
      '--format',
      '-a',
      'four.img',
      '--format=qcow2',
      '--add=five.qcow2',
      '-asix.qcow2',
      'run',
    ]);
    expect(s.drives).toEqual([
      { path: 'one.img' },
      { path: 'two.img', format: 'raw' },
      { path: 'three.img', format: 'raw' },
      { path: 'four.img' },
      { path: 'five.qcow2', format: 'qcow2' },
      { path: 'six.qcow2', format: 'qcow2' },
    ]);
    expect(s.commands).toEqual([['run']]);
  });

  it('is read-write by default, --ro / --rw: the last wins', () => {
    expect(prescan(['-a', 'x']).readonly).toBe(false);
    expect(prescan(['--ro', '-a', 'x']).readonly).toBe(true);
    expect(prescan(['-a', 'x', '--ro']).readonly).toBe(true);
    expect(prescan(['--ro', '--rw', '-a', 'x']).readonly).toBe(false);
  });

  it('leaves other options for yargs and stops at the first command', () => {
    const s = prescan(['-v', '--ro', '-x', '-a', 'd.img', 'mount', '/dev/sda1', '/', ':', 'ls', '-a']);
    expect(s.options).toEqual(['-v', '-x']);
    expect(s.drives).toEqual([{ path: 'd.img' }]);
    expect(s.commands).toEqual([
      ['mount', '/dev/sda1', '/'],
      ['ls', '-a'],
    ]);
  });

  it('reads clusters of short options as getopt does', () => {
    const s = prescan(['-rva', 'd.img', '-xab.img', 'run']);
    expect(s.readonly).toBe(true);
    expect(s.options).toEqual(['-v', '-x']);
    expect(s.drives).toEqual([{ path: 'd.img' }, { path: 'b.img' }]);
  });

  it('refuses -a without a file', () => {
    expect(() => prescan(['-a'])).toThrow(UsageError);
  });
});

describe('arguments', () => {
  const intCmd = defineCommand({
    name: 'test-int',
    group: 'files',
    args: [
      { name: 'count', type: 'int' },
      { name: 'flag', type: 'bool', optional: true },
    ],
    needsLaunch: false,
    writes: false,
    summary: 's',
    description: 'd',
    async run() {},
  });

  it('checks the count, naming the usage', () => {
    const mount = lookup('mount')!;
    expect(() => parseArgs(mount, ['/dev/sda1'])).toThrow('expected 2 arguments: usage: mount mountable mountpoint');
    expect(() => parseArgs(lookup('list-devices')!, ['x'])).toThrow('expected 0 arguments: usage: list-devices');
    expect(() => parseArgs(lookup('cat')!, [])).toThrow('expected 1 argument: usage: cat path');
    expect(() => parseArgs(intCmd, [])).toThrow('expected 1 to 2 arguments: usage: test-int count [flag]');
  });

  it('parses ints and bools, and says so when they are not', () => {
    expect(parseArgs(intCmd, ['42'])).toEqual([42, undefined]);
    expect(parseArgs(intCmd, ['-7', 'yes'])).toEqual([-7, true]);
    expect(parseArgs(intCmd, ['0x10', 'false'])).toEqual([16, false]);
    expect(parseArgs(intCmd, ['0755'])).toEqual([0o755, undefined]); // guestfish: a leading 0 is octal
    expect(parseArgs(intCmd, ['1M'])).toEqual([1 << 20, undefined]);
    expect(() => parseArgs(intCmd, ['4x'])).toThrow("count: '4x'");
    expect(() => parseArgs(intCmd, [''])).toThrow('is not a number');
    expect(() => parseArgs(intCmd, ['1', 'maybe'])).toThrow("flag: 'maybe' is not a boolean");
  });

  it('checks device and path shapes', () => {
    expect(() => parseArgs(lookup('cat')!, ['etc/passwd'])).toThrow('absolute path');
    expect(() => parseArgs(lookup('vfs-type')!, ['sda1'])).toThrow('is not a device');
    expect(parseArgs(lookup('vfs-type')!, ['btrfsvol:/dev/sda2/@'])).toEqual(['btrfsvol:/dev/sda2/@']);
  });

  it('prints usage with optional and variadic arguments', () => {
    expect(usage(lookup('help')!)).toBe('help [cmd]');
  });
});

describe('dispatch', () => {
  it('refuses launch-needing commands before run', async () => {
    const err = await script(['list-devices']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).command).toBe('list-devices');
    expect((err as CommandError).message).toBe('call run before using this command');
  });

  it('checks every command before running any', async () => {
    const c = context();
    const err = await runScript(c.ctx, [['run'], ['mount', '/dev/sda1']]).catch((e: unknown) => e);
    expect((err as CommandError).command).toBe('mount');
    expect(c.session.calls).toEqual([]);
    const unknown = await runScript(c.ctx, [['frobnicate']]).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ command: 'frobnicate', message: expect.stringMatching(/unknown command/) });
  });

  it('prints guestfish-style output', async () => {
    const { out } = await script([
      'run',
      ':',
      'list-devices',
      ':',
      'list-filesystems',
      ':',
      'vfs-type',
      '/dev/sda1',
      ':',
      'vfs-label',
      '/dev/sda1',
      ':',
      'lvs',
      ':',
      'mountpoints',
      ':',
      'mounts',
    ]);
    expect(out.text).toBe(
      [
        '/dev/sda',
        '/dev/sdb',
        '/dev/sda1: ext4',
        'btrfsvol:/dev/sda2/@: btrfs',
        'ext4',
        '',
        '/dev/vg0/root',
        '/dev/sda1: /',
        '/dev/sda2: /boot',
        '/dev/sda1',
        '/dev/sda2',
        '',
      ].join('\n'),
    );
  });

  it("prints files raw then guestfish's newline, and predicates as true/false", async () => {
    const { out } = await script([
      'run',
      ':',
      'cat',
      '/hello.txt',
      ':',
      'exists',
      '/hello.txt',
      ':',
      'is-file',
      '/nope',
      ':',
      'is-dir',
      '/',
      ':',
      'ls',
      '/',
    ]);
    expect(out.text).toBe('hi\n\ntrue\nfalse\ntrue\nhello.txt\nlost+found\n');
  });

  it('mounts read-write unless the session is read-only; mount-ro always read-only', async () => {
    const rw = await script(['run', ':', 'mount', '/dev/sda1', '/', ':', 'mount-ro', '/dev/sda2', '/boot']);
    expect(rw.session.calls).toEqual(['launch', 'mount /dev/sda1 / rw', 'mount /dev/sda2 /boot ro']);
    const ro = await script(['run', ':', 'mount', '/dev/sda1', '/'], true);
    expect(ro.session.calls).toEqual(['launch', 'mount /dev/sda1 / ro']);
  });

  it('names the failing command and stops there', async () => {
    const c = context();
    const err = await runScript(c.ctx, splitCommands(['run', ':', 'cat', '/missing', ':', 'umount-all'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ command: 'cat', message: '/missing: no such file or directory' });
    expect(c.session.calls).toEqual(['launch']);
  });

  it('echoes commands with -x', async () => {
    const c = context();
    const traced: string[] = [];
    await runScript(c.ctx, [['run'], ['cat', '/hello.txt']], { trace: (l) => traced.push(l) });
    expect(traced).toEqual(['run', 'cat /hello.txt']);
  });
});

describe('output', () => {
  it('stops writing quietly when the reader goes away (EPIPE)', async () => {
    let n = 0;
    const stream = new Writable({
      write(_chunk, _enc, cb) {
        n++;
        const e = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
        cb(e);
      },
    });
    const w = new StreamWriter(stream);
    await w.write('first\n');
    expect(w.closed).toBe(true);
    await w.write('second\n');
    expect(n).toBe(1);
  });
});

describe('int64 arguments', () => {
  it('take sector numbers beyond 32 bits (part-add on a disk over 1 TiB) and refuse beyond 2^53', () => {
    const partAdd = commands.find((c) => c.name === 'part-add')!;
    expect(parseArgs(partAdd, ['/dev/sda', 'p', '4294969344', '-1'])).toEqual(['/dev/sda', 'p', 4294969344, -1]);
    expect(() => parseArgs(partAdd, ['/dev/sda', 'p', '99999999999999999999', '-1'])).toThrow(/startsect/);
  });
});
