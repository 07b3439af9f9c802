// Where jfish's host commands (`!cmd`, `<!cmd`, `CMD | pipeline`) run, so that everything they
// start ends with jfish, also when jfish is SIGKILLed. PR_SET_PDEATHSIG alone reaches only the
// direct child (the shell), not what the shell starts in the background; a process group can be
// killed on a clean exit but not after a SIGKILL. So, as root, jfish keeps one PID namespace of
// its own, made on the first host command:
//
//   setpriv --pdeathsig KILL -- unshare --pid --fork --kill-child -- sh -c 'echo; exec sleep infinity'
//
// unshare dies with jfish (pdeathsig, however jfish ends), the namespace's init (sleep) dies with
// unshare (--kill-child), and the kernel kills every process of a PID namespace whose init dies.
// Each host command then runs as
//
//   setpriv --pdeathsig KILL -- nsenter --no-fork --target INIT --pid -- /bin/sh -c CMD
//
// The shell itself stays jfish's direct child in the host's PID namespace, exactly as before
// (same process group and terminal, Ctrl-C, `$$`, stdio, working directory, environment, exit
// status; it dies with jfish by its pdeathsig), while every process it starts is born in the
// namespace (setns(CLONE_NEWPID) applies to children) and so dies with it.
//
// Without root (no CAP_SYS_ADMIN for a PID namespace) the shell gets only the pdeathsig: it dies
// with jfish, what it left running in the background does not.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { spawnProcess } from '../../core/run.js';

interface Namespace {
  holder: ChildProcess;
  /** host pid of the namespace's init */
  init: number;
}

let current: Promise<Namespace | undefined> | undefined;

/** The init pid the kernel lists as unshare's child, once it has said it runs. */
function childOf(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    const n = Number(first);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function startNamespace(): Promise<Namespace | undefined> {
  return new Promise((resolve) => {
    let holder: ChildProcess;
    try {
      holder = spawnProcess(
        'setpriv',
        ['--pdeathsig', 'KILL', '--', 'unshare', '--pid', '--fork', '--kill-child', '--', '/bin/sh', '-c', 'echo; exec sleep infinity'],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
    } catch {
      resolve(undefined);
      return;
    }
    let settled = false;
    const done = (ns: Namespace | undefined) => {
      if (settled) return;
      settled = true;
      holder.stdout?.destroy();
      holder.unref(); // it must never keep jfish alive
      resolve(ns);
    };
    holder.on('error', () => done(undefined));
    holder.on('exit', () => {
      done(undefined);
      current = undefined; // gone (killed from outside): the next host command makes a new one
    });
    holder.stdout!.once('data', () => {
      const init = holder.pid === undefined ? undefined : childOf(holder.pid);
      if (init === undefined) {
        holder.kill('SIGKILL');
        done(undefined);
      } else {
        done({ holder, init });
      }
    });
  });
}

/** The program and arguments that run `/bin/sh ARGS…` as a host command of jfish. */
export async function hostShellCommand(shArgs: readonly string[]): Promise<{ file: string; args: string[] }> {
  if (process.geteuid?.() === 0 && process.platform === 'linux') {
    current ??= startNamespace();
    const ns = await current;
    if (ns)
      return {
        file: 'setpriv',
        args: ['--pdeathsig', 'KILL', '--', 'nsenter', '--no-fork', '--target', String(ns.init), '--pid', '--', '/bin/sh', ...shArgs],
      };
  }
  return { file: 'setpriv', args: ['--pdeathsig', 'KILL', '--', '/bin/sh', ...shArgs] };
}
