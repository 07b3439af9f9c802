// joot enter NAME [--no-network] [-- CMD ARGS…]: the client side. Under the joot's lock it
// joins the joot's live holder (holder.ts; a joot kept ready after its last exit too), or starts
// one and waits until it is ready; then runs CMD (default: the guest root's shell) in a
// container on the holder's prepared tree, in a mount namespace made from the holder's
// (appliance/guest-exec.ts, foreground). The exit status of CMD is the result.
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { JootError } from '../../core/errors.js';
import { guestExec } from '../../appliance/guest-exec.js';
import { isVerbose, spawnProcess, trace } from '../../core/run.js';
import { askEnter, sayBye } from './holder-client.js';
import type { Failure, Hello } from './holder-protocol.js';
import { Store, type JootMeta } from './store.js';

export interface EnterOptions {
  network: boolean;
  command?: string[];
}

/** Start a holder for the joot and wait for its answer on fd 3. */
async function startHolder(jootDir: string, linger: number): Promise<void> {
  const script = process.argv[1];
  if (!script) throw new JootError('ESTATE', 'cannot find joot itself to start the holder');
  const argv = ['--mount', '--propagation', 'private', '--', process.execPath, script, '__holder', jootDir, String(linger)];
  const child = spawnProcess('unshare', argv, {
    traceAs: `starting the holder: unshare ${argv.join(' ')}`,
    detached: true, // a session of its own: the terminal's ^C and hangup are not for it
    stdio: ['ignore', 'ignore', isVerbose() ? 'inherit' : 'ignore', 'pipe'],
    // joot itself again: the user's environment as it is (it gives guest programs their own)
    locale: 'inherit',
    env: { JOOT_IN_NS: '1', JOOT_NS_FRESH: '1', ...(isVerbose() ? { JOOT_VERBOSE: '1' } : {}) },
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
      const c = await askEnter(meta.id);
      if (c) return { ...c, meta };
      trace(`the holder of ${name} does not answer: starting a new one`);
    }
    rmSync(Store.holderFile(meta.id), { force: true });
    await startHolder(store.jootDir(name), store.config.linger);
    const c = await askEnter(meta.id);
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
    // bin/launch.sh moves NODE_EXTRA_CA_CERTS aside (it slows every node start)
    const val = process.env[v] ?? (v === 'NODE_EXTRA_CA_CERTS' ? process.env.JOOT_NODE_EXTRA_CA_CERTS : undefined);
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
      mounts: [],
      prepared: true,
      argv: commandLine(hello, o.command),
      foreground: true,
      network: o.network,
      joinMountNs: hello.pid,
      env,
      hostname: hello.hostname,
      term: process.env.TERM,
    });
    const first = await Promise.race([run, lostHolder.then(() => undefined)]);
    const gone = () => new JootError('EIO', `${name}: the joot's holder went away: the environment is gone`);
    if (first === undefined) {
      process.kill(process.pid, 'SIGTERM'); // guestExec's handler kills the namespace
      await run.catch(() => undefined);
      throw gone();
    }
    // a program killed by a signal may have died of the holder's end (its disk gone: SIGBUS,
    // SIGSEGV) just before the socket told us: give the socket a moment to say so
    if (first.signal || first.exitCode > 128) {
      await Promise.race([lostHolder, new Promise((r) => setTimeout(r, 100))]);
      if (lost) throw gone();
    }
    return first.exitCode;
  } finally {
    // leave: a goodbye, so the holder keeps the joot ready for the next enter (it releases
    // everything at once when a client's socket closes without one: that client died)
    if (!lost) await sayBye(sock);
  }
}
