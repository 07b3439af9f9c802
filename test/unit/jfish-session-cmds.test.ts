// The session commands' pure parts — named optional arguments (`add disk.img format:raw`),
// the session holder behind `reopen`, `time`'s dispatch and line, `supported`'s checks — and
// the remote script protocol's pieces. No root, no devices: fake sessions stand in.
import { describe, expect, it } from 'vitest';
import type { Writer } from '../../src/core/output.js';
import { parseArgs, specProblems, usage } from '../../src/ops/args.js';
import { defineCommand } from '../../src/tools/jfish/command.js';
import { elapsedText, FEATURES, supportedLines, type HostProbe } from '../../src/tools/jfish/commands/session.js';
import { makeCtx, runScript, withOut } from '../../src/tools/jfish/dispatch.js';
import { parseRemoteArgs } from '../../src/tools/jfish/remote-client.js';
import { FRAME_HOST, FrameReader, hostFrame, parseHostFrame } from '../../src/tools/jfish/remote.js';
import { Sessions } from '../../src/tools/jfish/startup.js';
import { lookup, table } from '../../src/tools/jfish/table.js';
import type { Session } from '../../src/appliance/session.js';

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

/** Enough of Session for add/run/reopen, logging what happens to it. */
function fakeSession(log: string[], id: number) {
  let state: 'new' | 'launched' | 'closed' = 'new';
  return {
    id,
    get launched() {
      return state === 'launched';
    },
    addDrive(path: string, opts: { format?: string; readonly?: boolean }) {
      if (state !== 'new') throw new Error('drives must be added before launch');
      log.push(`${id} add ${path} ${opts.format ?? 'auto'} ${opts.readonly ? 'ro' : 'rw'}`);
    },
    async launch() {
      state = 'launched';
      log.push(`${id} launch`);
    },
    async close() {
      state = 'closed';
      log.push(`${id} close`);
    },
  };
}

function holder() {
  const log: string[] = [];
  let n = 0;
  const sessions = new Sessions(() => fakeSession(log, ++n) as unknown as Session);
  return { log, sessions };
}

function context(readonly = false) {
  const { log, sessions } = holder();
  const out = new MemWriter();
  const ctx = makeCtx({ sessions, out, readonly, table });
  return { ctx, log, sessions, out };
}

describe('named optional arguments', () => {
  const add = lookup('add')!;
  // add_drive's eleven other optional arguments follow format and readonly
  const rest = Array.from({ length: 11 }, () => undefined);
  it('are written name:value after the positional ones, in any order', () => {
    expect(parseArgs(add, ['d.img'])).toEqual(['d.img', undefined, undefined, ...rest]);
    expect(parseArgs(add, ['d.img', 'format:qcow2'])).toEqual(['d.img', 'qcow2', undefined, ...rest]);
    expect(parseArgs(add, ['d.img', 'readonly:yes', 'format:raw'])).toEqual(['d.img', 'raw', true, ...rest]);
    expect(parseArgs(add, ['format:raw'])).toEqual(['format:raw', undefined, undefined, ...rest]); // a file may be called that
    expect(parseArgs(add, ['d.img', 'format:'])).toEqual(['d.img', '', undefined, ...rest]);
    expect(parseArgs(add, ['d.img', 'iface:virtio']).slice(0, 4)).toEqual(['d.img', undefined, undefined, 'virtio']);
  });
  it('are checked: known names, once each, typed values, the positional ones present', () => {
    expect(() => parseArgs(add, [])).toThrow(
      /^expected 1 to 14 arguments: usage: add filename \[format:..\] \[readonly:true\|false\] \[iface:..\]/,
    );
    expect(() => parseArgs(add, ['d.img', 'bogus:virtio'])).toThrow(
      "'bogus:virtio': expected an optional argument (format:, readonly:, iface:",
    );
    expect(() => parseArgs(add, ['d.img', 'other.img'])).toThrow(/'other.img': expected an optional argument/);
    expect(() => parseArgs(add, ['d.img', 'format:raw', 'format:qcow2'])).toThrow('format: given twice');
    expect(() => parseArgs(add, ['d.img', 'readonly:perhaps'])).toThrow("readonly: 'perhaps' is not a boolean");
  });
  it('follow optional positional arguments', () => {
    const c = defineCommand({
      name: 'x',
      group: 'session',
      needsLaunch: false,
      writes: false,
      summary: 's',
      description: 'd',
      args: [
        { name: 'a', type: 'string' },
        { name: 'b', type: 'int', optional: true },
        { name: 'mode', type: 'string', optional: true, named: true },
      ],
      async run() {},
    });
    expect(parseArgs(c, ['p'])).toEqual(['p', undefined, undefined]);
    expect(parseArgs(c, ['p', 'mode:fast'])).toEqual(['p', undefined, 'fast']);
    expect(parseArgs(c, ['p', '0x10', 'mode:fast'])).toEqual(['p', 16, 'fast']);
    expect(usage(c)).toBe('x a [b] [mode:..]');
  });
  it('are declared last, optional and not variadic', () => {
    const bad = (args: object[]) => specProblems({ name: 'y', args: args as never });
    expect(bad([{ name: 'm', type: 'string', named: true }])).toEqual(['y: named m must be optional too']);
    expect(
      bad([
        { name: 'm', type: 'string', optional: true, named: true },
        { name: 'p', type: 'string', optional: true },
      ]),
    ).toEqual(['y: named m before a positional argument']);
    expect(
      bad([
        { name: 'm', type: 'string', optional: true, named: true },
        { name: 'v', type: 'string', variadic: true },
      ]),
    ).toContain('y: named m with a variadic argument');
    expect(specProblems(lookup('add')!)).toEqual([]);
  });
});

describe('add, add-ro, reopen', () => {
  it('add and add-ro add drives (through the holder) until run', async () => {
    const { ctx, log } = context();
    await runScript(ctx, [
      ['add', 'a.img'],
      ['add-drive', 'b.qcow2', 'format:qcow2', 'readonly:true'],
      ['add-ro', 'c.img'],
      ['add-drive-ro', 'd.img', 'format:raw'],
      ['run'],
    ]);
    expect(log).toEqual(['1 add a.img auto rw', '1 add b.qcow2 qcow2 ro', '1 add c.img auto ro', '1 add d.img raw ro', '1 launch']);
    await expect(runScript(ctx, [['add', 'e.img']])).rejects.toThrow('drives must be added before run');
    await expect(runScript(ctx, [['add', 'e.img']])).rejects.toMatchObject({ command: 'add' });
  });
  it("guestfish's other add options: accepted where they change nothing, refused where jfish cannot", async () => {
    const { ctx, log } = context();
    await runScript(ctx, [
      [
        'add',
        'a.img',
        'iface:virtio',
        'name:/dev/vda',
        'cachemode:unsafe',
        'discard:besteffort',
        'copyonread:true',
        'blocksize:512',
        'protocol:file',
      ],
    ]);
    expect(log).toEqual(['1 add a.img auto rw']);
    await expect(runScript(ctx, [['add', 'b.img', 'protocol:nbd', 'server:host']])).rejects.toThrow(/remote storage is not supported/);
    await expect(runScript(ctx, [['add', 'b.img', 'label:data']])).rejects.toThrow(/disk labels .* are not supported/);
    await expect(runScript(ctx, [['add', 'b.img', 'blocksize:4096']])).rejects.toThrow(/only 512-byte sectors/);
    await expect(runScript(ctx, [['add', 'b.img', 'discard:enable']])).rejects.toThrow(/discard:enable is not supported/);
    await expect(runScript(ctx, [['add', 'b.img', 'cachemode:none']])).rejects.toThrow(/not writeback or unsafe/);
  });
  it('--ro makes every added drive read-only and refuses readonly:false', async () => {
    const { ctx, log } = context(true);
    await runScript(ctx, [['add', 'a.img']]);
    expect(log).toEqual(['1 add a.img auto ro']);
    await expect(runScript(ctx, [['add', 'b.img', 'readonly:false']])).rejects.toThrow(/started with --ro/);
  });
  it('reopen opens a new session on the same drives, launched if the old one was', async () => {
    const { ctx, log, sessions } = context();
    sessions.addDrive('a.img', { readonly: true });
    await runScript(ctx, [['add', 'b.img', 'format:raw'], ['run']]);
    const first = ctx.session;
    log.length = 0;
    await runScript(ctx, [['reopen']]);
    expect(log).toEqual(['1 close', '2 add a.img auto ro', '2 add b.img raw rw', '2 launch']);
    expect(ctx.session).not.toBe(first);
    expect(ctx.session.launched).toBe(true);
    // a derived context (CMD | pipeline) sees the new session too
    expect(withOut(ctx, new MemWriter()).session).toBe(ctx.session);
    log.length = 0;
    const { ctx: c2, log: l2 } = context();
    await runScript(c2, [['add', 'x.img'], ['reopen']]);
    expect(l2).toEqual(['1 add x.img auto rw', '1 close', '2 add x.img auto rw']);
    expect(c2.session.launched).toBe(false);
  });
});

describe('time', () => {
  it('runs the command through the dispatcher, then prints the elapsed time', async () => {
    const { ctx, out } = context();
    await runScript(ctx, [['time', 'echo', 'a', 'b']]);
    expect(out.text).toMatch(/^a b\nelapsed time: \d+\.\d\d seconds\n$/);
    const piped = new MemWriter();
    await runScript(withOut(ctx, piped), [['time', 'echo', 'x']]);
    expect(piped.text).toMatch(/^x\nelapsed time: /);
  });
  it('passes the command’s own error through, and prints no time then', async () => {
    const { ctx, out } = context();
    await expect(runScript(ctx, [['time', 'nosuch']])).rejects.toMatchObject({ command: 'nosuch' });
    await expect(runScript(ctx, [['time', 'cat', '/x']])).rejects.toMatchObject({
      command: 'cat',
      message: 'call run before using this command',
    });
    await expect(runScript(ctx, [['time']])).rejects.toThrow(/usage: time command args\.\.\./);
    expect(out.text).toBe('');
  });
  it('formats like guestfish: seconds and truncated hundredths', () => {
    expect(elapsedText(0)).toBe('elapsed time: 0.00 seconds');
    expect(elapsedText(129.9)).toBe('elapsed time: 0.12 seconds');
    expect(elapsedText(61_050)).toBe('elapsed time: 61.05 seconds');
  });
});

describe('supported', () => {
  const none: HostProbe = { program: () => false, kernelFs: () => false, nbd: false, deviceMapper: false };
  const all: HostProbe = { program: () => true, kernelFs: () => true, nbd: true, deviceMapper: true };
  it('prints every group, right-aligned as guestfish does, sorted', () => {
    const lines = supportedLines(all);
    const width = Math.max(...FEATURES.map((f) => f.group.length));
    expect(lines.every((l) => /^ *[a-z0-9]+ yes$/.test(l) && l.length === width + 4)).toBe(true);
    const groups = lines.map((l) => l.trim().split(' ')[0]);
    expect(groups).toEqual([...groups].sort());
    expect(groups).toEqual(expect.arrayContaining(['btrfs', 'lvm2', 'ntfs3g', 'ntfsprogs', 'xfs', 'nbd']));
    expect(supportedLines(none).every((l) => l.endsWith(' no'))).toBe(true);
  });
  it('checks what the appliance uses: kernel or FUSE drivers, programs, NBD, device-mapper', () => {
    const host = (programs: string[], fs: string[], extra: Partial<HostProbe> = {}): HostProbe => ({
      ...none,
      program: (p) => programs.includes(p),
      kernelFs: (f) => fs.includes(f),
      ...extra,
    });
    const yes = (h: HostProbe) =>
      supportedLines(h)
        .filter((l) => l.endsWith(' yes'))
        .map((l) => l.trim().split(' ')[0]);
    expect(yes(host(['fusefat', 'mkfs.fat', 'ntfs-3g', 'lvm'], []))).toEqual(['lvm2', 'ntfs3g', 'vfat']);
    expect(yes(host(['mkfs.xfs', 'btrfs'], ['xfs', 'btrfs']))).toEqual(['xfs']); // btrfs needs mkfs.btrfs too
    expect(yes(host(['qemu-nbd', 'dmsetup'], [], { nbd: true }))).toEqual(['nbd']);
    expect(yes(host(['dmsetup'], [], { deviceMapper: true }))).toEqual(['devicemapper']);
  });
});

describe('jfish --remote with a script on stdin', () => {
  it('takes no commands as a script only when stdin can supply one', () => {
    expect(parseRemoteArgs(['--remote'], { JFISH_PID: '5' }, { scriptOnStdin: true })).toEqual({ pid: 5, commands: [], stdin: true });
    expect(parseRemoteArgs(['--remote=7', '--'], {}, { scriptOnStdin: true })).toEqual({ pid: 7, commands: [], stdin: true });
    expect(parseRemoteArgs(['--remote', 'echo', 'a'], { JFISH_PID: '5' }, { scriptOnStdin: true })).toEqual({
      pid: 5,
      commands: [['echo', 'a']],
    });
    expect(() => parseRemoteArgs(['--remote'], { JFISH_PID: '5' }, { scriptOnStdin: false })).toThrow(
      /no commands given .*or a script on stdin/,
    );
    expect(() => parseRemoteArgs(['--remote', ':'], { JFISH_PID: '5' }, { scriptOnStdin: true })).toThrow(/no commands given/);
  });
  it('host command frames carry the request and the pipeline input, bytes intact', () => {
    const data = Buffer.from([0, 10, 255, 10]);
    const f = hostFrame({ op: 'pipe', command: 'wc -c\n', cwd: '/tmp' }, data);
    const got: Buffer[] = [];
    new FrameReader((t, p) => t === FRAME_HOST && got.push(Buffer.from(p))).push(f);
    const { req, data: d } = parseHostFrame(got[0]!);
    expect(req).toEqual({ op: 'pipe', command: 'wc -c\n', cwd: '/tmp' });
    expect(d.equals(data)).toBe(true);
    expect(() => parseHostFrame(Buffer.from('{"op":"rm","command":"x","cwd":"/"}\n'))).toThrow('bad host request');
    expect(() => parseHostFrame(Buffer.from('no newline'))).toThrow('bad host request');
  });
});
