// joot enter NAME [--no-network] [-- CMD ARGS…]: the client side. Under the joot's lock it
// connects to the joot's live holder (holder.ts), or starts one and waits until it is ready;
// then runs CMD (default: the guest root's shell) in a container that joins the holder's mount
// namespace (appliance/guest-exec.ts, foreground). The exit status of CMD is the result.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { JootError } from '../../appliance/errors.js';
import { guestExec } from '../../appliance/guest-exec.js';
import { isVerbose, trace } from '../../appliance/run.js';
import type { Failure, Hello } from './holder.js';
import { Store, type JootMeta } from './store.js';

export interface EnterOptions {
  network: boolean;
  command?: string[];
}

/** One line from a socket (the holder's hello), or undefined when it closes first. */
function readLine(sock: Socket): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const i = buf.indexOf('\n');
      if (i >= 0) {
        sock.off('data', onData);
        sock.pause();
        resolve(buf.slice(0, i));
      }
    };
    sock.on('data', onData);
    sock.once('close', () => resolve(undefined));
    sock.once('error', () => resolve(undefined));
  });
}

async function tryConnect(id: string): Promise<{ sock: Socket; hello: Hello } | undefined> {
  const sock = connect(Store.socketPath(id));
  const ok = await new Promise<boolean>((resolve) => {
    sock.once('connect', () => resolve(true));
    sock.once('error', () => resolve(false));
  });
  if (!ok) {
    sock.destroy();
    return undefined;
  }
  const line = await readLine(sock);
  if (!line) {
    sock.destroy();
    return undefined;
  }
  return { sock, hello: JSON.parse(line) as Hello };
}

/** Start a holder for the joot and wait for its answer on fd 3. */
async function startHolder(jootDir: string): Promise<void> {
  const script = process.argv[1];
  if (!script) throw new JootError('ESTATE', 'cannot find joot itself to start the holder');
  trace(`starting the holder: unshare --mount --propagation private ${process.execPath} ${script} __holder ${jootDir}`);
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', process.execPath, script, '__holder', jootDir], {
    detached: true, // a session of its own: the terminal's ^C and hangup are not for it
    stdio: ['ignore', 'ignore', isVerbose() ? 'inherit' : 'ignore', 'pipe'],
    env: { ...process.env, JOOT_IN_NS: '1', ...(isVerbose() ? { JOOT_VERBOSE: '1' } : {}) },
  });
  const fd3 = child.stdio[3] as NodeJS.ReadableStream;
  let text = '';
  fd3.setEncoding('utf8');
  const answer = await new Promise<string>((resolve) => {
    fd3.on('data', (s: string) => {
      text += s;
      if (text.includes('\n')) resolve(text);
    });
    fd3.on('end', () => resolve(text));
    child.once('error', (e) => resolve(JSON.stringify({ ok: false, code: 'ECMD', message: `cannot start the holder: ${e.message}` })));
  });
  child.unref();
  (fd3 as unknown as { destroy?: () => void }).destroy?.();
  let msg: { ok: true } | Failure;
  try {
    msg = JSON.parse(answer.split('\n')[0]!) as { ok: true } | Failure;
  } catch {
    throw new JootError('ECMD', 'the joot holder died while starting (run with -v to see why)');
  }
  if (!msg.ok) throw new JootError(msg.code as never, msg.message);
}

/** Join the joot's environment (starting its holder if needed). Returns the live connection. */
export async function join(store: Store, name: string): Promise<{ sock: Socket; hello: Hello; meta: JootMeta }> {
  const m0 = store.meta(name);
  const lock = await Store.lockJoot(m0.id, name, 60_000);
  try {
    const meta = store.meta(name); // deleted or renamed while we waited?
    if (meta.id !== m0.id) throw new JootError('ENOENT', `${name}: no such joot`);
    if (Store.holder(meta.id)) {
      const c = await tryConnect(meta.id);
      if (c) return { ...c, meta };
      trace(`the holder of ${name} does not answer: starting a new one`);
    }
    rmSync(Store.holderFile(meta.id), { force: true });
    await startHolder(store.jootDir(name));
    const c = await tryConnect(meta.id);
    if (!c) throw new JootError('ECMD', `${name}: the joot holder started but does not answer`);
    return { ...c, meta };
  } finally {
    lock.release();
  }
}

/** The command line to run: the root shell, or CMD looked up in the guest's PATH by its sh. */
export function commandLine(hello: Pick<Hello, 'shell' | 'hasSh'>, command: string[] | undefined): string[] {
  if (!command || command.length === 0) return [hello.shell];
  if (command[0]!.includes('/') || !hello.hasSh) return command;
  return ['/bin/sh', '-c', 'exec "$0" "$@"', ...command];
}

export async function enter(store: Store, name: string, o: EnterOptions): Promise<number> {
  const { sock, hello } = await join(store, name);
  const env: Record<string, string> = {};
  for (const v of store.config.pass_thru_env) {
    const val = process.env[v];
    if (val !== undefined) env[v] = val;
  }
  // the holder went away (killed): the environment is gone, so is the program
  let lost = false;
  const lostHolder = new Promise<void>((resolve) => {
    sock.once('close', () => {
      lost = true;
      resolve();
    });
  });
  sock.resume();
  try {
    const run = guestExec({
      root: hello.root,
      mounts: hello.mounts,
      argv: commandLine(hello, o.command),
      foreground: true,
      network: o.network,
      joinMountNs: hello.pid,
      env,
      hostname: hello.hostname,
      resolvConf: hello.resolvConf,
      term: process.env.TERM,
    });
    const first = await Promise.race([run, lostHolder.then(() => undefined)]);
    if (first === undefined) {
      process.kill(process.pid, 'SIGTERM'); // guestExec's handler kills the namespace
      await run.catch(() => undefined);
      throw new JootError('EIO', `${name}: the joot's holder went away: the environment is gone`);
    }
    return first.exitCode;
  } finally {
    // leave: the holder answers once it is done (after releasing everything, if we were the last)
    if (!lost) {
      await new Promise<void>((resolve) => {
        sock.once('close', () => resolve());
        sock.end();
      });
    }
  }
}
