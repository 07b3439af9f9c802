// jfish scripts (-f, stdin, `<!` output) and the shell's pieces, without disks or a host
// shell: a fake session and a fake HostShell stand in.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/tools/cli.js';
import type { Writer } from '../../src/core/output.js';
import { parseMountSpec, prescan } from '../../src/tools/jfish/argv.js';
import { defineCommand, type Ctx } from '../../src/tools/jfish/command.js';
import { ExitRequest } from '../../src/tools/jfish/control.js';
import { CommandError } from '../../src/tools/jfish/dispatch.js';
import { appendHistory, completionSource, loadHistory } from '../../src/tools/jfish/repl.js';
import { runLine, runLines, scriptLines, type HostShell, type LineRunner } from '../../src/tools/jfish/script.js';
import { mountOrder } from '../../src/inspect/mount-inspected.js';
import { complete } from '../../src/tools/jfish/completion.js';
import { table } from '../../src/tools/jfish/table.js';

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

function setup(shellOut: Record<string, { stdout: string; status: number }> = {}, status: Record<string, number> = {}) {
  const calls: string[] = [];
  const reports: string[] = [];
  const session = {
    launched: false,
    async launch() {
      session.launched = true;
      calls.push('launch');
    },
    listDevices: () => ['/dev/sda'],
    listPartitions: () => ['/dev/sda1', '/dev/sda2'],
    lvs: () => [],
    get reader() {
      return {
        async readdir(d: string) {
          if (d === '/') return ['etc', 'hello.txt'];
          throw new Error('no such dir');
        },
        async isDir(p: string) {
          return p === '/etc';
        },
      };
    },
  };
  const out = new MemWriter();
  const ctx = { session, out, readonly: true, table } as unknown as Ctx;
  const shell: HostShell = {
    async system(cmd) {
      calls.push(`system ${cmd}`);
      return status[cmd] ?? 0;
    },
    async capture(cmd) {
      calls.push(`capture ${cmd}`);
      return shellOut[cmd] ?? { stdout: '', status: 0 };
    },
    async pipe(pipeline, data) {
      calls.push(`pipe ${pipeline} <<${data.toString()}>>`);
      return 0;
    },
  };
  const runner: LineRunner = { ctx, shell, report: (m) => reports.push(m) };
  return { calls, reports, out, runner, session };
}

async function runText(r: LineRunner, text: string) {
  return runLines(r, scriptLines(text, r), { stopOnError: true });
}

describe('scripts', () => {
  it('runs lines in order, skipping comments and a #! line', async () => {
    const { runner, out, calls } = setup();
    await runText(runner, '#!/usr/bin/env -S jfish -f\n# a comment\n\necho one  two\nrun\necho "three\\tfour"\n');
    expect(out.text).toBe('one two\nthree\tfour\n');
    expect(calls).toEqual(['launch']);
  });

  it('stops at the first failing line, with the command name in the error', async () => {
    const { runner, out } = setup();
    const p = runText(runner, 'echo a\nbogus x\necho b\n');
    await expect(p).rejects.toThrow(CommandError);
    await expect(runText(setup().runner, 'list-devices\n')).rejects.toMatchObject({
      command: 'list-devices',
      message: expect.stringMatching(/run/),
    });
    expect(out.text).toBe('a\n');
  });

  it("reports the error of a '-' line and goes on", async () => {
    const { runner, out, reports } = setup();
    await runText(runner, 'echo a\n-list-devices\n- bogus\necho b\n');
    expect(out.text).toBe('a\nb\n');
    expect(reports).toEqual([expect.stringMatching(/^list-devices: .*run/), "bogus: unknown command (try 'help')"]);
  });

  it('reports bad quoting as an error without a command name', async () => {
    const { runner } = setup();
    await expect(runText(runner, 'echo "abc\n')).rejects.toMatchObject({ command: '', message: 'unterminated double quote' });
  });

  it('runs !cmd in the host shell; a nonzero status is an error', async () => {
    const { runner, calls, reports } = setup({}, { false: 1 });
    await runText(runner, '!echo hi there\n-!false\n');
    expect(calls).toEqual(['system echo hi there', 'system false']);
    expect(reports).toEqual(['!false: exited with status 1']);
    await expect(runText(runner, '!false\n')).rejects.toMatchObject({ message: 'exited with status 1' });
  });

  it('runs the output of <!cmd as jfish lines', async () => {
    const { runner, out, calls } = setup({ gen: { stdout: 'echo x\n# c\nrun\necho y\n', status: 0 } });
    await runText(runner, '<!gen\n');
    expect(out.text).toBe('x\ny\n');
    expect(calls).toEqual(['capture gen', 'launch']);
  });

  it('<!cmd: an error inside stops the script, unless the <! line has the - prefix', async () => {
    const gen = { gen: { stdout: 'echo x\nbogus\necho y\n', status: 0 } };
    const a = setup(gen);
    await expect(runText(a.runner, '<!gen\necho after\n')).rejects.toMatchObject({ command: 'bogus' });
    expect(a.out.text).toBe('x\n');
    const b = setup(gen);
    await runText(b.runner, '-<!gen\necho after\n');
    expect(b.out.text).toBe('x\ny\nafter\n');
    expect(b.reports).toEqual(["bogus: unknown command (try 'help')"]);
    const c = setup({ gen: { stdout: 'echo no\n', status: 3 } });
    await expect(runText(c.runner, '<!gen\n')).rejects.toMatchObject({ message: 'exited with status 3' });
    expect(c.out.text).toBe('');
  });

  it('sends a command’s output through | pipeline', async () => {
    const { runner, out, calls } = setup();
    await runText(runner, 'echo a b | wc -l\n');
    expect(out.text).toBe('');
    expect(calls).toEqual(['pipe  wc -l <<a b\n>>']);
  });

  it('exit ends the script', async () => {
    const { runner, out } = setup();
    await expect(runText(runner, 'echo a\nexit\necho b\n')).rejects.toThrow(ExitRequest);
    await expect(runText(runner, '-quit\n')).rejects.toThrow(ExitRequest);
    expect(out.text).toBe('a\n');
  });

  it('hands a here-document to a filein argument as a temporary file', async () => {
    const { runner, out } = setup();
    let seen = '';
    const showFile = defineCommand({
      name: 'show-file',
      group: 'files',
      args: [{ name: 'file', type: 'filein' }],
      needsLaunch: false,
      writes: false,
      summary: 'test',
      description: 'test',
      async run(ctx, [f]) {
        seen = f;
        await ctx.out.write(readFileSync(f, 'utf8'));
      },
    });
    const commands = [...table.commands, showFile];
    const t = { commands, lookup: (n: string) => (n === 'show-file' ? showFile : table.lookup(n)) };
    const r: LineRunner = { ...runner, ctx: { ...runner.ctx, table: t } };
    await runText(r, 'show-file -<<END\nline one\n  two\nEND\necho after\n');
    expect(out.text).toBe('line one\n  two\nafter\n');
    expect(existsSync(seen)).toBe(false); // removed once the command is done
  });

  it('runLine runs one line of text', async () => {
    const { runner, out } = setup();
    await runLine(runner, '  echo  spaced ');
    await runLine(runner, '# nothing');
    expect(out.text).toBe('spaced\n');
  });

  it('lcd changes the host working directory', async () => {
    const { runner } = setup();
    const cwd = process.cwd();
    const d = mkdtempSync(join(tmpdir(), 'jfish-lcd-'));
    try {
      await runLine(runner, `lcd ${d}`);
      expect(process.cwd()).toBe(d);
      await expect(runLine(runner, `lcd ${d}/nope`)).rejects.toMatchObject({
        command: 'lcd',
        message: expect.stringMatching(/no such directory/),
      });
    } finally {
      process.chdir(cwd);
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('argv: -f, -i, -m', () => {
  it('reads -f, -i and -m, in clusters too', () => {
    const s = prescan(['-i', '-a', 'd.img', '-m', '/dev/sda2', '--mount=/dev/sda1:/boot:noatime:ext4', '-f', 's.jf']);
    expect(s.inspector).toBe(true);
    expect(s.file).toBe('s.jf');
    expect(s.mounts).toEqual([
      { device: '/dev/sda2', mountpoint: '/' },
      { device: '/dev/sda1', mountpoint: '/boot', options: 'noatime', fstype: 'ext4' },
    ]);
    const c = prescan(['-ria', 'x.img', '-m/dev/sda1']);
    expect(c.inspector).toBe(true);
    expect(c.readonly).toBe(true);
    expect(c.mounts).toEqual([{ device: '/dev/sda1', mountpoint: '/' }]);
    expect(prescan(['-a', 'x', '-f', 'script', '-a', 'y']).drives).toEqual([{ path: 'x' }, { path: 'y' }]);
  });

  it('tells whether --ro/--rw was given (else the configuration decides)', () => {
    expect(prescan(['-a', 'x']).modeGiven).toBe(false);
    expect(prescan(['--rw', '-a', 'x']).modeGiven).toBe(true);
    expect(prescan(['-ra', 'x']).modeGiven).toBe(true);
  });

  it('refuses bad -m values and a second -f', () => {
    expect(() => parseMountSpec(':/')).toThrow(UsageError);
    expect(() => parseMountSpec('/dev/sda1:boot')).toThrow(UsageError);
    expect(() => parseMountSpec('a:/:b:c:d')).toThrow(UsageError);
    expect(parseMountSpec('/dev/sda1::ro')).toEqual({ device: '/dev/sda1', mountpoint: '/', options: 'ro' });
    expect(() => prescan(['-f', 'a', '-f', 'b'])).toThrow(UsageError);
    expect(() => prescan(['-m'])).toThrow(UsageError);
  });
});

describe('-i mount order', () => {
  it('mounts the shortest mountpoints first', () => {
    expect(mountOrder({ '/var/log': '/dev/sda4', '/boot': '/dev/sda1', '/': '/dev/sda2', '/usr': '/dev/sda3' })).toEqual([
      ['/', '/dev/sda2'],
      ['/usr', '/dev/sda3'],
      ['/boot', '/dev/sda1'],
      ['/var/log', '/dev/sda4'],
    ]);
  });
});

describe('the shell: history and completion', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the last lines of the history, newest first', () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-hist-'));
    const f = join(dir, '.jfish_history');
    expect(loadHistory(f)).toEqual([]);
    for (let i = 1; i <= 12; i++) appendHistory(f, `echo ${i}`);
    appendHistory(f, '   ');
    expect(loadHistory(f, 100)).toHaveLength(12);
    expect(loadHistory(f, 3)).toEqual(['echo 12', 'echo 11', 'echo 10']);
    expect(readFileSync(f, 'utf8')).toBe('echo 10\necho 11\necho 12\n');
    writeFileSync(f, 'a\n\nb\n');
    expect(loadHistory(f)).toEqual(['b', 'a']);
  });

  it('completes command names, guest paths and devices', async () => {
    const { session } = setup();
    const src = completionSource(table, session as never);
    expect((await complete('list-f', src)).candidates).toEqual(['list-filesystems']);
    expect((await complete('cat /', src)).candidates).toEqual(['/etc/', '/hello.txt']);
    expect((await complete('help ec', src)).candidates).toEqual(['echo']);
    session.launched = true;
    expect((await complete('list-partitions /dev/sda', src)).candidates).toEqual([]);
    expect((await complete('mount /dev/sd', src)).candidates).toEqual(['/dev/sda', '/dev/sda1', '/dev/sda2']);
  });
});
