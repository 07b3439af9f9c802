// Running a guest program on the host, in a throw-away container around the mounted guest:
//
//   setpriv --pdeathsig KILL            dies with joot, even after a SIGKILL
//   └ unshare --fork --kill-child       new mount, PID, UTS, IPC and network namespaces
//       --pid --mount --uts --ipc --net
//     └ sh -c SETUP (pid 1 of the new PID namespace; guest paths are arguments, never code)
//         ├ remount the session's guest mounts exec (still nosuid,nodev): only in this namespace,
//         │ the session's own mounts stay noexec
//         ├ fresh proc on ROOT/proc (this PID namespace only; /proc/sys and friends read-only,
//         │ /proc/keys and /proc/key-users empty), sysfs read-only on ROOT/sys, and a small tmpfs
//         │ on ROOT/dev with null zero full random urandom tty, a devpts instance of its own
//         │ (newinstance, always: never the host's /dev/pts), shm and the fd links — never the
//         │ host's /dev, whose disk nodes a guest program could open
//         └ exec perl STARTER (guest-confine.ts): a new empty session keyring, a seccomp filter
//           that denies the key syscalls, a session of its own, every descriptor above 2
//           closed; then
//           exec capsh --drop=… --chroot=ROOT --shell=PROG -- ARGS
//             chroot, then drop the capabilities that would let root leave the chroot or reach
//             the host (sys_admin: mount; sys_chroot: the classic chroot escape; mknod: device
//             nodes for the host's disks; sys_module, sys_rawio, …) from the bounding set, then
//             exec the guest program with a clean environment
//
// Every mount made here lives in the child's private mount namespace (unshare makes its
// propagation private), so it never shows in the session's or the host's mount table and goes
// away with the last process of the namespace. The program is pid 1 of its PID namespace: when
// it exits, or when we kill `unshare` (--kill-child then SIGKILLs pid 1), the kernel kills every
// process left in the namespace, so nothing the program started survives it. (As pid 1, it
// ignores signals from inside the namespace that it has no handler for, as any init does; a
// host-side init in between would stay outside the chroot, in reach of the guest program.)
// No network: like guestfish without --network, the namespace has only a loopback device, down.
//
// joot enter uses the same container with a few options (GuestExecOptions below): `network`
// (share the host's network namespace instead of a new empty one), `joinMountNs` (nsenter the
// mount namespace of the joot's holder process first, so every enter of one joot sees the same
// guest mounts), `prepared` (the holder ran the once-per-tree part of the setup already, on its
// own copy of the guest tree: see prepareGuestRoot), `foreground` (stdin, stdout and stderr are
// joot's own; when any of them is a terminal, the program runs on a pty of the container's
// devpts instead, behind a relay on the host: guest-tty.ts), `env` (extra variables:
// pass_thru_env), `hostname` (the UTS namespace's name) and
// `resolvConf` (a host file bound read-only over the guest's /etc/resolv.conf when that is a
// regular file; with `prepared` it is given to prepareGuestRoot instead). Without them the
// behaviour is exactly jfish's `sh`/`command`.
//
// run.ts's `run` buffers a command's output and has no way to stop it from outside; here stdout
// streams to the caller at the pace it reads (a guest program may print gigabytes, or hang), and
// a timeout, an interrupt or a closed reader must kill the whole namespace. So this starts the
// container with run.ts's startCommand (execa, unawaited) or spawnProcess (joot enter), which
// trace it as run does. The environment is the guest's alone (setupEnv): no C locale of joot's.
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { trackLive, untrackLive } from './cleanup.js';
import { confineEnv } from './guest-confine.js';
import { relayCommand } from './guest-tty.js';
import { JootError } from '../core/errors.js';
import { factsOf, quoteForTrace, run, spawnProcess, startCommand } from '../core/run.js';

export interface GuestMount {
  /** the guest path (for messages) */
  mountpoint: string;
  /** where it is mounted on the host, under `root` */
  hostTarget: string;
  readonly: boolean;
}

export interface GuestExecOptions {
  /** host path of the guest root (Session.execRoot().root) */
  root: string;
  /** the session's mounts under root, shallowest first (Session.execRoot().mounts) */
  mounts: readonly GuestMount[];
  /** argv[0] is the program (a guest path, or a name looked up in the guest's PATH) */
  argv: readonly string[];
  /** receives the program's stdout as it comes; resolves when the data is taken (not with `foreground`) */
  stdout?: (chunk: Uint8Array) => Promise<void>;
  /**
   * joot enter: the program gets joot's own stdin, stdout and stderr, but never a terminal:
   * a terminal among them is replaced by a pty of the container's own (guest-tty.ts). A ^C or
   * ^\ that the program (pid 1 of its namespace, which the kernel spares from signals it has
   * no handler for) would not see is turned into a kill of the namespace, as the signal would
   * have killed a normal process.
   */
  foreground?: boolean;
  /** share the host's network (default: a new network namespace with only loopback, down) */
  network?: boolean;
  /** nsenter the mount namespace of this process (the joot holder) before unsharing */
  joinMountNs?: number;
  /** `root` was made by prepareGuestRoot (in the joined namespace): run only the per-program part */
  prepared?: boolean;
  /** extra environment variables for the program (after the defaults, so they may override LANG) */
  env?: Record<string, string>;
  /** the hostname inside the container's UTS namespace */
  hostname?: string;
  /** a host file bound read-only over ROOT/etc/resolv.conf, when that is a regular file */
  resolvConf?: string;
  /** true once nobody reads stdout any more: the program is then stopped */
  stdoutClosed?: () => boolean;
  /** kill the program (and everything it started) after this long */
  timeoutMs?: number;
  /** the host's TERM, passed on */
  term?: string;
}

export interface GuestExecResult {
  exitCode: number;
  /** set when the program was killed by a signal */
  signal?: string;
  /** the program's stderr (its last 64 KiB) */
  stderr: string;
}

/** The environment of guest programs: nothing of the host's but TERM. */
export function guestEnv(term?: string): Record<string, string> {
  const env: Record<string, string> = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C' };
  if (term) env.TERM = term;
  return env;
}

/**
 * Capabilities taken from the bounding set before the guest program runs. Kept: what package
 * scripts need as root in their own tree (chown, dac_override, fowner, fsetid, setuid/setgid,
 * kill, setfcap, net_bind_service, sys_nice, sys_resource, ipc_lock…).
 */
export const DROPPED_CAPS: readonly string[] = [
  'cap_sys_admin',
  'cap_sys_chroot',
  'cap_mknod',
  'cap_sys_module',
  'cap_sys_rawio',
  'cap_sys_boot',
  'cap_sys_time',
  'cap_sys_ptrace',
  'cap_sys_pacct',
  'cap_sys_tty_config',
  'cap_syslog',
  'cap_net_admin',
  'cap_mac_admin',
  'cap_mac_override',
  'cap_audit_control',
  'cap_audit_read',
  'cap_wake_alarm',
  'cap_block_suspend',
  'cap_bpf',
  'cap_perfmon',
  'cap_checkpoint_restore',
];

// The container's setup, in shell (guest paths are arguments, never code). Three scripts from
// two parts: PREPARE (the guest mounts exec, read-only sysfs, a private /dev, resolv.conf) and
// PROCESS (per program: a fresh proc for its PID namespace, a pts, the hostname, capsh).
// jfish runs both, as pid 1 of a new namespace, for every command: SETUP_SCRIPT. joot's holder
// runs PREPARE once on its own copy of the guest tree (prepareGuestRoot), and every enter runs
// only PROCESS on it: a dozen fewer processes per enter.
const SCRIPT_HEAD = `set -eu
root=$1; shift
# only real directories: a guest symlink there would aim the mount at a host path
realdir() { [ -d "$root/$1" ] && [ ! -L "$root/$1" ]; }
`;

/** Arguments after ROOT: pairs `ro|rw MOUNTPOINT` (host paths of the guest's mounts), then `--`. */
const PREPARE_PART = `while [ "$1" != -- ]; do
  mount -o "remount,bind,exec,nosuid,nodev,$1" "$2"
  shift 2
done
shift
if realdir sys; then mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"; fi
if realdir dev; then
  d=$root/dev
  mount -t tmpfs -o nosuid,noexec,mode=0755,size=1m jootdev "$d"
  mknod -m 666 "$d/null" c 1 3
  mknod -m 666 "$d/zero" c 1 5
  mknod -m 666 "$d/full" c 1 7
  mknod -m 666 "$d/random" c 1 8
  mknod -m 666 "$d/urandom" c 1 9
  mknod -m 666 "$d/tty" c 5 0
  mkdir -m 755 "$d/pts"
  ln -s pts/ptmx "$d/ptmx"
  mkdir -m 1777 "$d/shm"
  mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$d/shm"
  ln -s /proc/self/fd "$d/fd"
  ln -s /proc/self/fd/0 "$d/stdin"
  ln -s /proc/self/fd/1 "$d/stdout"
  ln -s /proc/self/fd/2 "$d/stderr"
fi
r=$root/etc/resolv.conf
if [ -n "\${JOOT_RESOLV:-}" ] && [ -d "$root/etc" ] && [ ! -L "$root/etc" ] && [ -f "$r" ] && [ ! -L "$r" ]; then
  mount --bind -o ro,nosuid,nodev,noexec "$JOOT_RESOLV" "$r"
fi
`;

/**
 * Arguments: the guest argv. The starter writes `ready` on fd 3 just before handing over to the guest
 * program, so a failure of the setup is told apart from a failure of the program.
 */
const PROCESS_PART = `if realdir proc; then
  mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
  for p in sys sysrq-trigger irq bus fs; do
    if [ -e "$root/proc/$p" ]; then mount --bind -o ro,nosuid,nodev,noexec "$root/proc/$p" "$root/proc/$p"; fi
  done
  # the host's keys are not namespaced: their names and ids stay out of sight (as Docker masks them)
  for p in keys key-users; do
    if [ -f "$root/proc/$p" ]; then mount --bind -o ro /dev/null "$root/proc/$p"; fi
  done
fi
pts=
unset JOOT_TTY_PATH
if realdir dev && [ -d "$root/dev/pts" ] && [ ! -L "$root/dev/pts" ]; then
  pts=$root/dev/pts
elif [ -n "\${JOOT_TTY_FDS:-}" ]; then
  # a terminal for a guest without /dev/pts: a devpts of its own all the same, outside its tree
  pts=/dev/pts
fi
if [ -n "$pts" ]; then mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$pts"; fi
if [ -n "\${JOOT_TTY_FDS:-}" ]; then
  # joot enter on a terminal (guest-tty.ts): the relay opens a pty in this devpts and names it
  echo "pts $pts" >&3
  read -r n <&4 || n=
  case $n in ''|*[!0-9]*) echo 'no terminal for the program' >&2; exit 1 ;; esac
  export JOOT_TTY_PATH="$pts/$n"
fi
if [ -n "\${JOOT_HOSTNAME:-}" ]; then printf %s "$JOOT_HOSTNAME" >/proc/sys/kernel/hostname; fi
drop=$JOOT_DROP_CAPS
unset JOOT_DROP_CAPS JOOT_RESOLV JOOT_HOSTNAME
prog=$1; shift
# guest-confine.ts: keyrings, seccomp, a session of its own, \`ready\` on fd 3, no descriptor above 2
exec perl -e "$JOOT_START" -- capsh --drop="$drop" --chroot="$root" --shell="$prog" -- "$@"
`;

/** jfish: everything, as pid 1 of the new namespaces. Arguments: ROOT, `ro|rw MOUNTPOINT` pairs, `--`, the guest argv. */
export const SETUP_SCRIPT = SCRIPT_HEAD + PREPARE_PART + PROCESS_PART;
/** joot's holder, once: ROOT (its copy of the guest tree), `ro|rw MOUNTPOINT` pairs, `--`. */
export const PREPARE_SCRIPT = SCRIPT_HEAD + PREPARE_PART;
/** joot enter, per program, on a prepared root: ROOT, the guest argv. */
export const PROCESS_SCRIPT = SCRIPT_HEAD + PROCESS_PART;

/** The command line that runs `argv` in the guest (exported for the unit tests). */
export function guestExecCommand(o: Pick<GuestExecOptions, 'root' | 'mounts' | 'argv' | 'network' | 'joinMountNs' | 'prepared'>): {
  cmd: string;
  args: string[];
} {
  if (o.argv.length === 0 || o.argv[0] === '') throw new JootError('EINVAL', 'no program to run');
  if (o.argv.some((a) => a.includes('\0'))) throw new JootError('EINVAL', 'an argument contains a NUL byte');
  const join = o.joinMountNs !== undefined ? ['nsenter', `--mount=/proc/${o.joinMountNs}/ns/mnt`, '--'] : [];
  const script = o.prepared
    ? [PROCESS_SCRIPT, 'joot-guest-exec', o.root]
    : [SETUP_SCRIPT, 'joot-guest-exec', o.root, ...remountArgs(o.mounts), '--'];
  return {
    cmd: 'setpriv',
    args: [
      '--pdeathsig',
      'KILL',
      '--',
      ...join,
      'unshare',
      '--fork',
      '--kill-child',
      '--pid',
      '--mount',
      '--uts',
      '--ipc',
      ...(o.network ? [] : ['--net']),
      '--',
      'sh',
      '-c',
      ...script,
      ...o.argv,
    ],
  };
}

function remountArgs(mounts: readonly GuestMount[]): string[] {
  return mounts.flatMap((m) => [m.readonly ? 'ro' : 'rw', m.hostTarget]);
}

/**
 * joot's holder: a copy of the guest tree at `dir` (a recursive bind of `root`, so the
 * session's own mounts stay noexec and bare) with PREPARE_SCRIPT run on it, in the caller's
 * mount namespace — which must be private (the holder's is: it runs under `unshare --mount`),
 * so nothing of this reaches the host. Enters then run guestExec with `prepared` on `dir`.
 * Returns the release: unmount the copy (recursively), before the session unmounts the guest.
 */
export async function prepareGuestRoot(o: {
  root: string;
  mounts: readonly GuestMount[];
  dir: string;
  resolvConf?: string;
}): Promise<() => Promise<void>> {
  await mkdir(o.dir, { mode: 0o755 });
  await run('mount', ['--rbind', o.root, o.dir]);
  const release = async () => {
    await run('umount', ['--recursive', o.dir]);
  };
  try {
    const mounts = o.mounts.map((m) => ({ ...m, hostTarget: o.dir + m.hostTarget.slice(o.root.length) }));
    const r = await run('sh', ['-c', PREPARE_SCRIPT, 'joot-prepare', o.dir, ...remountArgs(mounts), '--'], {
      env: o.resolvConf ? { JOOT_RESOLV: o.resolvConf } : {},
      allowFailure: true,
    });
    if (r.exitCode !== 0)
      throw new JootError(
        'ECMD',
        `could not set up the guest environment: ${lastLine(r.stderr.split(o.dir).join('')) || `exit ${r.exitCode}`}`,
        factsOf(r),
      );
  } catch (e) {
    await release().catch(() => undefined);
    throw e;
  }
  return release;
}

/** The environment of the setup script: the guest's, plus what the script reads (and unsets). */
export function setupEnv(o: Pick<GuestExecOptions, 'term' | 'env' | 'hostname' | 'resolvConf'>): Record<string, string> {
  const env: Record<string, string> = { ...guestEnv(o.term), ...o.env, JOOT_DROP_CAPS: DROPPED_CAPS.join(','), ...confineEnv() };
  if (o.hostname) env.JOOT_HOSTNAME = o.hostname;
  if (o.resolvConf) env.JOOT_RESOLV = o.resolvConf;
  return env;
}

const STDERR_KEEP = 64 * 1024;

/**
 * Run a guest program (see the top of this file) and stream its stdout to `o.stdout`.
 * Resolves with its exit status — a non-zero exit is the caller's to report. Throws when the
 * container could not be set up, on timeout, or when the process was interrupted; in every
 * case the namespace and everything in it is gone by the time this returns.
 */
export async function guestExec(o: GuestExecOptions): Promise<GuestExecResult> {
  if (o.foreground) return guestExecForeground(o);
  if (!o.stdout) throw new JootError('EINVAL', 'guestExec: no stdout receiver');
  const { cmd, args } = guestExecCommand(o);
  const { child } = await startCommand(cmd, args, {
    traceAs: quoteForTrace('guest-exec', [o.root, ...o.argv]),
    env: setupEnv(o),
    extendEnv: false,
    locale: 'inherit',
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    buffer: false,
    reject: false,
    // its own process group: a terminal's ^C reaches joot, which kills the namespace and then
    // releases the disks in order (as with the long-running helpers)
    detached: true,
    cleanup: true,
  });

  let stderr = '';
  let ready = '';
  let why: 'timeout' | 'interrupted' | 'closed' | undefined;
  const kill = (reason: typeof why) => {
    why ??= reason;
    // SIGKILL to unshare: --kill-child SIGKILLs pid 1 of the namespace, and with it every process in it
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  // a SIGINT/SIGTERM to joot disposes live things: this program first, then the session's disks
  const live: AsyncDisposable = {
    [Symbol.asyncDispose]: async () => {
      kill('interrupted');
      await child.catch(() => undefined);
    },
  };
  trackLive(live);
  const timer = o.timeoutMs ? setTimeout(() => kill('timeout'), o.timeoutMs) : undefined;

  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    stderr = (stderr + s).slice(-STDERR_KEEP);
  });
  const fd3 = child.stdio[3] as NodeJS.ReadableStream;
  fd3.setEncoding('utf8');
  fd3.on('data', (s: string) => (ready += s));

  try {
    try {
      for await (const chunk of child.stdout!) {
        if (why) continue; // drain what is left after a kill
        await o.stdout!(chunk as Uint8Array);
        if (o.stdoutClosed?.()) kill('closed');
      }
    } catch (e) {
      kill('closed');
      throw e;
    }
    const r = await child;
    if (why === 'timeout') throw new JootError('ECMD', `the guest program was killed after ${o.timeoutMs} ms`);
    if (why === 'interrupted') throw new JootError('ECMD', 'the guest program was interrupted');
    if (why === 'closed') return { exitCode: 0, stderr };
    if (!ready.includes('ready')) {
      const tail = lastLine(stderr.split(o.root).join('')) || (r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`);
      throw new JootError('ECMD', `could not set up the guest environment: ${tail}`, {
        command: [cmd, ...args],
        exitCode: r.exitCode,
        signal: r.signal,
        stderr,
      });
    }
    if (r.signal) return { exitCode: 128 + (signalNumber(r.signal) ?? 0), signal: r.signal, stderr };
    return { exitCode: r.exitCode ?? 0, stderr };
  } finally {
    if (timer) clearTimeout(timer);
    untrackLive(live);
  }
}

/**
 * joot enter's way (`foreground`): the program gets joot's stdin, stdout and stderr — except
 * that when any of them is a terminal, it runs on a pty of its own behind a relay
 * (guest-tty.ts) and never gets the user's terminal. Never throws for the program's own
 * doings: its exit status comes back (128+N for a signal). SIGTERM and SIGHUP to joot kill the
 * namespace (exit 128+N). Without a terminal, SIGINT and SIGQUIT to joot go to the program
 * (pid 1 of its namespace and in a session of its own) when it handles them, else they kill the
 * namespace, as they would have killed a normal process; with one, they are the relay's: it
 * is in joot's process group and gets the terminal's signals itself.
 */
async function guestExecForeground(o: GuestExecOptions): Promise<GuestExecResult> {
  const container = guestExecCommand(o);
  const tty = process.stdin.isTTY === true || process.stdout.isTTY === true || process.stderr.isTTY === true;
  const { cmd, args } = tty ? relayCommand(o.root, container.cmd, container.args) : container;
  // spawnProcess (node's own spawn), not execa: this is the enter client's one command, and
  // loading execa would cost a tenth of the enter. setpriv's pdeathsig ends the container (or the
  // relay) if joot dies.
  const child = spawnProcess(cmd, args, {
    traceAs: `${quoteForTrace('guest-exec', [o.root, ...o.argv])}${tty ? ' (on a pty of its own)' : ''}`,
    env: setupEnv(o),
    extendEnv: false,
    locale: 'inherit',
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
  });
  const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ exitCode: null, signal: null, error }));
    child.once('close', (exitCode, signal) => resolve({ exitCode, signal }));
  });
  let ready = '';
  const fd3 = child.stdio[3] as NodeJS.ReadableStream;
  fd3.setEncoding('utf8');
  fd3.on('data', (s: string) => (ready += s));
  let killedBy: NodeJS.Signals | undefined;
  const killAll = (sig: NodeJS.Signals) => {
    killedBy ??= sig;
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        // the relay restores the terminal, then kills the namespace; unshare is killed outright
        process.kill(child.pid, tty ? 'SIGTERM' : 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (sig === 'SIGINT' || sig === 'SIGQUIT') {
      if (tty) return;
      const init = child.pid !== undefined ? namespaceInit(child.pid) : undefined;
      if (init === undefined) return;
      if (seesSignal(init, signalNumber(sig) ?? 0)) {
        try {
          process.kill(init, sig);
        } catch {
          /* gone */
        }
        return;
      }
    }
    killAll(sig);
  };
  const sigs = ['SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGHUP'] as const;
  const handlers = sigs.map((sig) => [sig, () => onSignal(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  const timer = o.timeoutMs ? setTimeout(() => killAll('SIGKILL'), o.timeoutMs) : undefined;
  try {
    const r = await exited;
    if (r.error) throw new JootError('ECMD', `${cmd}: ${r.error.message}`);
    if (killedBy) return { exitCode: 128 + (signalNumber(killedBy) ?? 9), signal: killedBy, stderr: '' };
    if (!ready.includes('ready')) {
      throw new JootError('ECMD', `could not set up the guest environment (${r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`})`);
    }
    if (r.signal) return { exitCode: 128 + (signalNumber(r.signal) ?? 0), signal: r.signal, stderr: '' };
    return { exitCode: r.exitCode ?? 0, stderr: '' };
  } finally {
    if (timer) clearTimeout(timer);
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

/** The first child of `unshare` (pid 1 of the new PID namespace: the guest program). */
function namespaceInit(unsharePid: number): number | undefined {
  try {
    const kids = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length ? Number(kids[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether process `pid` catches or ignores signal `signo` (from /proc/PID/status). */
function seesSignal(pid: number, signo: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const mask = (_name: string) => BigInt(`0x${/^${name}:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
    const bit = 1n << BigInt(signo - 1);
    return ((mask('SigCgt') | mask('SigIgn')) & bit) !== 0n;
  } catch {
    return true; // gone: nothing to kill
  }
}

/** The last non-empty line of a program's stderr. */
export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

function signalNumber(sig: string): number | undefined {
  return (osConstants.signals as Record<string, number | undefined>)[sig];
}
