// The light `jfish --remote CMD …` client (bin/jfish-remote.py, which bin/jfish runs when the
// commands are on the command line and python3 is there) must behave byte for byte as the node
// client (src/tools/jfish/remote-client.ts, forced with JFISH_REMOTE_CLIENT=node): stdout,
// stderr and exit status, for output, errors, binary data, a missing server and usage errors.
// A script on stdin still goes to node. A fake server checks both send the same request and
// what the Python client does with frames a one-shot request never gets. Against the built
// bin/jfish and a copy of sample.raw; needs root. The server is killed in afterAll, whatever
// happened.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot, waitProcessDead, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/bundle/jfish.mjs'));
const root = process.getuid?.() === 0;
const python = ['/usr/bin/python3', ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'python3'))].find(
  (p) => p.startsWith('/') && existsSync(p),
);
const skipReason = !built
  ? 'dist/bundle/jfish.mjs is not built (run npm run build)'
  : !root
    ? 'needs root (loop devices, mounts)'
    : !python
      ? 'no python3'
      : '';
if (skipReason) console.log(`skipping jfish light remote client tests: ${skipReason}`);

let dir = '';
let image = '';
let runDir = '';
let xdg = '';
let before: Snapshot;
let server = 0;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    JOOT_CONFIG: '',
    JOOT_RUN_DIR: runDir,
    XDG_RUNTIME_DIR: xdg,
    JFISH_PID: '',
    JFISH_REMOTE_CLIENT: '',
    JFISH_REMOTE_TIMING: '',
    ...extra,
  };
}

interface Result {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number | undefined;
}

async function run(args: string[], opts: { env?: Record<string, string>; input?: string | Buffer; node?: boolean } = {}): Promise<Result> {
  const r = await execa(jfish, args, {
    reject: false,
    env: env({ ...opts.env, ...(opts.node ? { JFISH_REMOTE_CLIENT: 'node' } : {}) }),
    timeout: 60_000,
    cwd: dir,
    input: opts.input ?? '',
    encoding: 'buffer',
    stripFinalNewline: false,
  });
  return { stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr), exitCode: r.exitCode };
}

/** Both clients on the same command line: byte-identical results; the Python client's. */
async function same(
  args: string[],
  extra: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; exitCode: number | undefined; raw: Result }> {
  const py = await run(args, { env: extra });
  const node = await run(args, { env: extra, node: true });
  expect(py.stderr.toString('latin1')).toBe(node.stderr.toString('latin1'));
  expect(py.stdout.equals(node.stdout), `stdout differs for ${args.join(' ')}`).toBe(true);
  expect(py.exitCode).toBe(node.exitCode);
  return { stdout: py.stdout.toString('utf8'), stderr: py.stderr.toString('utf8'), exitCode: py.exitCode, raw: py };
}

describe.skipIf(skipReason !== '')('jfish --remote: the light (Python) client', () => {
  let pidEnv: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-remote-light-'));
    runDir = join(dir, 'run');
    xdg = join(dir, 'xdg');
    mkdirSync(xdg, { mode: 0o700 });
    chmodSync(xdg, 0o700);
    image = join(dir, 'sample.raw');
    copyFileSync(await fixture('sample.raw'), image);
    before = await snapshot({ paths: [dir], runDir });
    const r = await run(['--listen', '-a', image, '-i']);
    // the pid first, so that afterAll stops the server whatever the checks below say
    server = Number(/JFISH_PID=(\d+)/.exec(r.stdout.toString())?.[1] ?? 0);
    expect(r.stderr.toString()).toBe('');
    expect(r.stdout.toString()).toBe(`JFISH_PID=${server}; export JFISH_PID\n`);
    pidEnv = { JFISH_PID: String(server) };
    expect(existsSync(join(xdg, 'jfish', `jfish-${server}.sock`))).toBe(true);
  }, 600_000);

  afterAll(async () => {
    if (server) {
      try {
        process.kill(server, 'SIGTERM');
      } catch {
        // already gone
      }
      await waitProcessDead(server);
    }
    if (dir) {
      try {
        await expectNoLeftovers(before);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 60_000);

  it('bin/jfish runs the Python client for commands on the command line (no node needed)', async () => {
    // a PATH with what the shim itself needs, and no node: only the Python client can answer
    const bin = join(dir, 'nonode-bin');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['readlink', 'dirname']) {
      const at = ['/usr/bin', '/bin'].map((d) => join(d, tool)).find((p) => existsSync(p))!;
      if (!existsSync(join(bin, tool))) symlinkSync(at, join(bin, tool));
    }
    if (!existsSync('/usr/bin/python3') && !existsSync(join(bin, 'python3'))) symlinkSync(python!, join(bin, 'python3'));
    const r = await run(['--remote', 'cat', '/etc/hostname'], { env: { ...pidEnv, PATH: bin } });
    expect(r.stderr.toString()).toBe('');
    expect(r.stdout.toString()).toBe('sample\n\n');
    expect(r.exitCode).toBe(0);
  });

  it('gives the same output, errors and status as the node client', async () => {
    const ok = await same(['--remote', 'cat', '/etc/hostname'], pidEnv);
    expect([ok.stdout, ok.stderr, ok.exitCode]).toEqual(['sample\n\n', '', 0]);
    const multi = await same(['--remote', 'echo', 'a', ':', ':', 'cat', '/etc/hostname', ':', 'echo', 'b c', 'é'], pidEnv);
    expect([multi.stdout, multi.exitCode]).toEqual(['a\nsample\n\nb c é\n', 0]);
    const withPid = await same([`--remote=${server}`, '--', 'ls', '/']);
    expect(withPid.stdout.split('\n')).toEqual(expect.arrayContaining(['etc', 'hello.txt']));
    const bad = await same(['--remote', 'cat', '/no/such/file'], pidEnv);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^jfish: cat: [^\n]*\/no\/such\/file[^\n]*\n$/);
    expect(bad.exitCode).toBe(1);
    const unknown = await same(['--remote', 'echo', 'a', ':', 'nosuchcommand', 'x', ':', 'echo', 'b'], pidEnv);
    expect([unknown.stdout, unknown.exitCode]).toEqual(['', 1]); // checked before any runs
    expect(unknown.stderr).toMatch(/^jfish: nosuchcommand: unknown command/);
    // the timing line, to the same 3 decimals
    const timed = await run(['--remote', 'echo', 'x'], { env: { ...pidEnv, JFISH_REMOTE_TIMING: '1' } });
    expect(timed.stderr.toString()).toMatch(/^jfish: --remote: server time \d+\.\d{3} ms\n$/);
  }, 120_000);

  it('passes binary output through unchanged', async () => {
    const data = Buffer.concat([Buffer.from([0, 1, 2, 0xff, 0xfe, 0, 10, 13, 0]), Buffer.alloc(200_000, 0), Buffer.from('tail\0')]);
    for (let i = 9; i < 200_009; i += 997) data[i] = (i * 31) & 0xff;
    writeFileSync(join(dir, 'binary.bin'), data);
    const r = await same(['--remote', 'upload', 'binary.bin', '/binary.bin', ':', 'download', '/binary.bin', '-'], pidEnv);
    expect(r.exitCode).toBe(0);
    expect(r.raw.stdout.equals(data)).toBe(true);
  }, 120_000);

  it('reports a missing server, a bad PID, an unsafe socket directory and usage errors alike', async () => {
    const gone = await same(['--remote=999999', 'echo', 'x']);
    expect(gone.stderr).toMatch(/^jfish: --remote: no jfish server with pid 999999 \(no socket /);
    expect(gone.exitCode).toBe(1);
    const junk = await same(['--remote', 'echo', 'x'], { JFISH_PID: 'abc' });
    expect([junk.stderr, junk.exitCode]).toEqual(["jfish: --remote: JFISH_PID 'abc' is not a process id\n", 2]);
    const nl = await same(['--remote=12\n', 'echo', 'x']);
    expect(nl.exitCode).toBe(2);
    const none = await same(['--remote', 'echo', 'x']);
    expect(none.stderr).toMatch(/^jfish: --remote: no server given: set JFISH_PID/);
    expect(none.exitCode).toBe(2);
    const option = await same(['--remote', '-a', 'x.img', 'echo', 'x'], pidEnv);
    expect(option.stderr).toMatch(/^jfish: -a: only --remote\[=PID\] can be given with --remote/);
    expect(option.exitCode).toBe(2);
    const noCommands = await same(['--remote', ':'], pidEnv);
    expect(noCommands.stderr).toMatch(/^jfish: --remote: no commands given/);
    expect(noCommands.exitCode).toBe(2);

    const sockDir = join(xdg, 'jfish');
    chmodSync(sockDir, 0o755);
    try {
      const open = await same(['--remote', 'echo', 'x'], pidEnv);
      expect(open.stderr).toBe(
        `jfish: --remote: refusing ${join(sockDir, `jfish-${server}.sock`)}: ${sockDir} is accessible to other users (mode 755)\n`,
      );
      expect(open.exitCode).toBe(1);
    } finally {
      chmodSync(sockDir, 0o700);
    }
    expect((await same(['--remote', 'echo', 'x'], pidEnv)).exitCode).toBe(0);
  }, 120_000);

  it('a script on stdin still works (the node client runs it)', async () => {
    const r = await run(['--remote'], { env: pidEnv, input: 'echo one\n!echo "host $WHO"\ncat /etc/hostname | tr a-z A-Z\n' });
    expect(r.stderr.toString()).toBe('');
    expect(r.stdout.toString()).toBe('one\nhost \nSAMPLE\n\n');
    expect(r.exitCode).toBe(0);
    // the Python client itself hands a command-less call to node
    const direct = await execa(python!, ['-I', '-S', join(repo, 'bin/jfish-remote.py'), '--remote'], {
      reject: false,
      env: env(pidEnv),
      input: 'echo via-python\n',
      cwd: dir,
    });
    expect([direct.stdout, direct.stderr, direct.exitCode]).toEqual(['via-python', '', 0]);
  }, 120_000);

  describe('against a fake server', () => {
    const fakePid = 3999999999;
    let fakeRun = '';
    let fake: net.Server | undefined;
    const requests: Buffer[] = [];

    /** Frame with a 4-byte big-endian length, a type byte and the payload. */
    const frame = (type: string, payload: string | Buffer = '') => {
      const body = Buffer.from(payload);
      const head = Buffer.alloc(5);
      head.writeUInt32BE(body.length + 1);
      head[4] = type.charCodeAt(0);
      return Buffer.concat([head, body]);
    };

    beforeAll(async () => {
      fakeRun = join(dir, 'fake-run');
      mkdirSync(join(fakeRun, 'jfish'), { recursive: true, mode: 0o700 });
      chmodSync(join(fakeRun, 'jfish'), 0o700);
      fake = net.createServer((conn) => {
        let buf = Buffer.alloc(0);
        conn.on('error', () => {});
        conn.on('data', (c: Buffer) => {
          buf = Buffer.concat([buf, c]);
          if (buf.length < 4 || buf.length < 4 + buf.readUInt32BE(0)) return;
          requests.push(buf);
          const req = JSON.parse(buf.subarray(5).toString()) as { commands: string[][] };
          const what = req.commands[0]![0];
          if (what === 'host')
            conn.end(
              Buffer.concat([
                frame('O', 'before\n'),
                frame('H', '{"op":"system","command":"echo hi","cwd":"/"}\n'),
                frame('D', '{"status":0,"ms":1}'),
              ]),
            );
          else if (what === 'weird') conn.end(Buffer.concat([frame('Z', 'x'), frame('D', '{"status":0,"ms":1}')]));
          else if (what === 'badframe') conn.end(Buffer.from([0, 0, 0, 0, 0x4f]));
          else if (what === 'close') conn.end(frame('O', 'partial'));
          else if (what === 'timing') conn.end(frame('D', '{"ms":1.0625,"status":0}'));
          else conn.end(Buffer.concat([frame('E', Buffer.from([0xff, 0, 0x0a])), frame('D', '{"ms":1,"status":300}')]));
        });
      });
      await new Promise<void>((res) => fake!.listen(join(fakeRun, 'jfish', `jfish-${fakePid}.sock`), res));
    });

    afterAll(async () => {
      if (fake) await new Promise((res) => fake!.close(res));
    });

    const fakeEnv = () => ({ JOOT_RUN_DIR: fakeRun, XDG_RUNTIME_DIR: '', JFISH_PID: String(fakePid) });

    it('sends the same request as the node client, and reads any reply shape alike', async () => {
      requests.length = 0;
      const args = ['--remote', 'echo', 'quote " back \\ tab \t nl \n ctl \x01 é 😀', ':', 'ls', '/'];
      const r = await same(args, fakeEnv());
      expect(requests).toHaveLength(2);
      expect(requests[0]!.equals(requests[1]!)).toBe(true);
      expect(r.raw.stderr.equals(Buffer.from([0xff, 0, 0x0a]))).toBe(true);
      expect(r.exitCode).toBe(300 & 0xff);
      // a tie: toFixed rounds the exact value half up
      const timed = await same(['--remote', 'timing'], { ...fakeEnv(), JFISH_REMOTE_TIMING: '1' });
      expect([timed.stderr, timed.exitCode]).toEqual(['jfish: --remote: server time 1.063 ms\n', 0]);
      const bad = await same(['--remote', 'badframe'], fakeEnv());
      expect([bad.stderr, bad.exitCode]).toEqual(['jfish: --remote: bad reply from the server: Error: bad frame\n', 1]);
      const closed = await same(['--remote', 'close'], fakeEnv());
      expect([closed.stdout, closed.stderr, closed.exitCode]).toEqual([
        'partial',
        `jfish: --remote: the jfish server with pid ${fakePid} closed the connection without an answer\n`,
        1,
      ]);
    });

    it('a host command or an unknown frame in a one-shot reply is a clear error', async () => {
      const host = await run(['--remote', 'host'], { env: fakeEnv() });
      expect(host.stdout.toString()).toBe('before\n');
      expect(host.stderr.toString()).toMatch(/^jfish: --remote: the server asked to run a host command, which only a script does/);
      expect(host.exitCode).toBe(1);
      const weird = await run(['--remote', 'weird'], { env: fakeEnv() });
      expect(weird.stderr.toString()).toBe("jfish: --remote: unexpected frame 'Z' from the server\n");
      expect(weird.exitCode).toBe(1);
    });
  });
});
