// Shared by the hostile-guest-program tests (guest-terminal.test.ts, guest-keyring-fds.test.ts):
// small static binaries built with the host's C compiler, put into a copy of
// fixture('debian-gpt.qcow2') with jfish, a joot on that copy (its own joot_home and run dir),
// and a real pty to drive `joot enter` through, as a person's terminal.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { fixture } from '../fixtures/index.js';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const JOOT = join(repo, 'bin/joot');
export const JFISH = join(repo, 'bin/jfish');
const has = (t: string) => ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(join(d, t)));
export const skipReason = !existsSync(join(repo, 'dist/bundle/joot.mjs'))
  ? 'dist is not built (npm run build)'
  : process.getuid?.() !== 0
    ? 'needs root'
    : !['gcc', 'capsh', 'python3', 'perl', 'keyctl'].every(has)
      ? 'needs gcc, capsh, python3, perl, keyctl'
      : '';

/** Build a static binary from C source. */
export async function compileStatic(dir: string, name: string, source: string): Promise<string> {
  const src = join(dir, `${name}.c`);
  const bin = join(dir, name);
  writeFileSync(src, source);
  await execa('gcc', ['-static', '-O1', '-o', bin, src]);
  return bin;
}

export interface Joot {
  env: Record<string, string>;
  image: string;
}

/**
 * A copy of the fixture with `binaries` (guest path → host file) in it, mode 0755, and a joot
 * `t` on it, everything under `dir`.
 */
export async function jootWith(dir: string, binaries: Record<string, string>): Promise<Joot> {
  const image = join(dir, 'guest.qcow2');
  copyFileSync(await fixture('debian-gpt.qcow2'), image);
  const cmds: string[] = ['-a', image, '-i'];
  for (const [guest, host] of Object.entries(binaries)) cmds.push('upload', host, guest, ':', 'chmod', '0755', guest, ':');
  cmds.pop();
  const run = join(dir, 'run');
  mkdirSync(run, { recursive: true });
  const up = await execa(JFISH, cmds, { reject: false, env: { JOOT_RUN_DIR: run } });
  if (up.exitCode !== 0) throw new Error(`jfish upload: ${up.stderr}`);
  const cfg = join(dir, 'joot.cfg');
  writeFileSync(cfg, `joot_home = ${join(dir, 'home')}\nlinger = 0\n`);
  const env = { JOOT_CONFIG: cfg, JOOT_RUN_DIR: run };
  for (const args of [
    ['image', 'add', 'deb', image],
    ['create', 't', 'deb'],
  ]) {
    const r = await execa(JOOT, args, { reject: false, env });
    if (r.exitCode !== 0) throw new Error(`joot ${args.join(' ')}: ${r.stderr}`);
  }
  return { env, image };
}

// A person's terminal: runs ARGV on a new pty (33 rows, 101 columns) and plays STEPS: [text
// to send, text to wait for ('eof': the end)]; '@sleep S' waits, '@winch R C' resizes the
// terminal. With HOSTPTY=1 it also holds a second host pty open, its name in $JOOT_TEST_HOSTPTY,
// and reports at the end whatever reached either side of it. Prints the transcript, then a
// line `termios-restored: yes|no`; exits with ARGV's status (99: a step timed out).
const DRIVER = String.raw`
import fcntl, json, os, pty, select, struct, sys, termios, time
argv = json.loads(sys.argv[1]); steps = json.loads(sys.argv[2])
extra = None
if os.environ.get('HOSTPTY') == '1':
    em, es = os.openpty()
    os.environ['JOOT_TEST_HOSTPTY'] = os.ttyname(es)
    extra = (em, es)
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 101, 0, 0))
buf = b''; eof = False
def pump(t):
    global buf, eof
    r, _, _ = select.select([fd], [], [], t)
    if r:
        try: d = os.read(fd, 65536)
        except OSError: d = b''
        if not d: eof = True
        buf += d
def wait(what, start, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if what == 'eof' and eof: return True
        if what != 'eof' and buf.find(what.encode(), start) >= 0: return True
        if eof: return False
        pump(0.1)
    return False
ok = True
for send, what in steps:
    start = len(buf)
    if send.startswith('@sleep '):
        time.sleep(float(send[7:])); continue
    if send.startswith('@winch '):
        r, c = send.split()[1:]
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', int(r), int(c), 0, 0))
        os.kill(pid, 28)
        continue
    os.write(fd, send.encode())
    ok = wait(what, start)
    if not ok: break
if not eof: wait('eof', len(buf), 20)
sys.stdout.write(buf.decode('utf8', 'replace'))
if not eof: os.kill(pid, 15)
_, status = os.waitpid(pid, 0)
if extra:
    em, es = extra
    got = b''
    for f in (em, es):
        os.set_blocking(f, False)
        try: got += os.read(f, 65536)
        except OSError: pass
    sys.stdout.write('\nhostpty: ' + (repr(got) if got else 'clean') + '\n')
sys.stdout.flush()
sys.exit(99 if not ok else os.waitstatus_to_exitcode(status))
`;

/** Drive `argv` on a terminal (DRIVER); `fd50`: a descriptor the driver and argv inherit as fd 50. */
export function onTerminal(
  argv: string[],
  steps: [string, string][],
  o: { env: Record<string, string>; hostPty?: boolean; fd50?: number },
) {
  const env = { ...o.env, TERM: 'dumb', ...(o.hostPty ? { HOSTPTY: '1' } : {}) };
  return spawnWith('python3', ['-c', DRIVER, JSON.stringify(argv), JSON.stringify(steps)], env, o.fd50);
}

/**
 * Run a command (stdin /dev/null, no shell), optionally with fd 50 open on `fd50` as a shell's
 * `exec 50<dir` leaves it. node's spawn, not execa: execa's types take no descriptor numbers
 * beyond stdio.
 */
export function spawnWith(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  fd50?: number,
): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const stdio: ('pipe' | 'ignore' | number)[] = ['ignore', 'pipe', 'pipe'];
  if (fd50 !== undefined) {
    while (stdio.length < 50) stdio.push('ignore');
    stdio.push(fd50);
  }
  const child = spawn(cmd, args, { stdio, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGTERM'), 150_000);
  return new Promise((resolve) => {
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout: stdout.replace(/\n$/, ''), stderr });
    });
  });
}
