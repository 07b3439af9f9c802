// The holder of an entered joot: a background joot process (`joot __holder DIR LINGER`, started
// by the first `joot enter` in a private mount namespace of its own, in a session of its own)
// that attaches the joot's overlay read-write, mounts the guest by its inspected mountpoints,
// prepares the container's tree once (guest-exec.ts prepareGuestRoot: the guest mounts exec, a
// private /dev, sysfs, resolv.conf) and keeps all that while any `joot enter` of the joot runs.
// Each enter connects to its socket (RUN/joot/ID.sock; the protocol is in holder-protocol.ts), gets
// what it needs to start its container (the holder's pid, whose mount namespace it joins, the
// prepared root, the root shell, the hostname), and stays connected while its program runs.
//
// An enter that exits normally says goodbye, and the holder syncs the guest's filesystems before
// it answers: what the program wrote is in the overlay file when joot returns.
// When the last enter exits normally, the joot stays ready for `linger` seconds (configuration;
// default 10): the next enter only starts its container. Then, or at once when the last enter
// died (its socket closed without a goodbye) or `linger` is 0, the holder takes the joot's lock,
// restores what it changed, unmounts, detaches and exits. A command that needs the joot idle
// (delete, rename, save, purge, cleanup) asks an idle holder to do that at once (`stop`).
// The holder's state file (RUN/joot/ID.json) says how many enters are in.
//
// The guest's /etc/resolv.conf and the facts an enter needs: guest-setup.ts.
//
// After a SIGKILL of the holder: its helpers die with it (PR_SET_PDEATHSIG), its mount
// namespace with its last process (the enters notice the closed socket and kill their
// containers), and the next joot command reaps what its session record lists.
import { closeSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { prepareGuestRoot } from '../../appliance/guest-exec.js';
import { JootError, oneLine } from '../../core/errors.js';
import { processStart } from '../../appliance/registry.js';
import { run, trace } from '../../core/run.js';
import { Session } from '../../appliance/session.js';
import { ARCH_BINARIES, canRun, detectArch, hostArch } from '../../inspect/linux/arch.js';
import { readLine, type Failure, type Hello, type Request } from './holder-protocol.js';
import { guestHostname, restoreResolv, rootShell, setupResolv } from './guest-setup.js';
import { mountJoot } from './mount-plan.js';
import { Store, type HolderState, type JootMeta } from './store.js';
import { backingOptions, registeredImagePaths } from '../backing.js';
import { defaultConfig, loadConfig, type JootConfig } from '../config.js';

/** The configuration (for backing_dirs); the defaults when it cannot be read (main reported that). */
function configOrDefault(): JootConfig {
  try {
    return loadConfig();
  } catch {
    return defaultConfig();
  }
}

/** how long a holder waits for the enter that started it */
const STARTUP_MS = 30_000;

/** `joot __holder JOOTDIR LINGER`: returns the exit status. fd 3 gets one JSON line: ready or why not. */
export async function holderMain(jootDir: string, lingerArg: string): Promise<number> {
  const tell = (msg: { ok: true } | Failure) => {
    try {
      writeSync(3, `${JSON.stringify(msg)}\n`);
      closeSync(3);
    } catch {
      /* the enter that started us is gone */
    }
  };
  const lingerMs = Math.max(0, Number(lingerArg) || 0) * 1000;
  let meta: JootMeta;
  try {
    meta = JSON.parse(readFileSync(join(jootDir, 'meta.json'), 'utf8')) as JootMeta;
  } catch (e) {
    tell({ ok: false, code: 'ENOENT', message: `${jootDir}: no joot there (${oneLine(e)})` });
    return 1;
  }
  const undoFile = join(jootDir, 'resolv.json');
  const session = new Session({ engine: 'kernel' });
  /** syncfs(2) of every guest filesystem: through the loop device and qemu into the overlay file. */
  const syncGuest = async (): Promise<boolean> => {
    try {
      await run('sync', ['--file-system', ...session.execRoot().mounts.map((m) => m.hostTarget)]);
      return true;
    } catch (e) {
      trace(`sync of the guest filesystems failed: ${oneLine(e)}`);
      return false;
    }
  };
  let hello: Hello;
  const stateFile = Store.holderFile(meta.id);
  const sockPath = Store.socketPath(meta.id);
  try {
    // the base's probe (qemu-img info and check) is remembered while its files are unchanged
    // the overlay names its base (the image it was created from, registered or named by path)
    const allowed = backingOptions(configOrDefault(), []);
    session.addDrive(join(jootDir, 'disk.qcow2'), {
      format: 'qcow2',
      readonly: false,
      probeCache: join(jootDir, 'probe.json'),
      backingDirs: allowed.backingDirs,
      backingImages: [meta.base, ...registeredImagePaths(dirname(dirname(jootDir)))],
    });
    await session.launch();
    await mountJoot(session, jootDir);
    const { root, mounts } = session.execRoot();
    // the container's tree, once for every enter, made while the guest's facts are read;
    // released (first) when the session closes, also when what follows fails
    const dir = join(dirname(root), 'container');
    const tree = restoreResolv(session, undoFile) // what a killed holder left, then the host's in place
      .then(() => setupResolv(session, meta.id, undoFile))
      .then(async (resolvConf) => session.hold({ kind: 'mount', path: dir }, await prepareGuestRoot({ root, mounts, dir, resolvConf })));
    const facts = Promise.all([
      detectArch(session.reader, { candidates: ['/bin/sh', '/usr/bin/env', ...ARCH_BINARIES] }),
      guestHostname(session),
      rootShell(session),
      session.stat('/bin/sh').then(
        (st) => st.isFile,
        () => false,
      ),
    ]);
    // both settled before any error is acted on: the tree is never half made when we unwind
    const [factsDone, treeDone] = await Promise.allSettled([facts, tree]);
    if (treeDone.status === 'rejected') throw treeDone.reason;
    if (factsDone.status === 'rejected') throw factsDone.reason;
    const [guest, hostname, shell, hasSh] = factsDone.value;
    const host = hostArch();
    if (guest !== undefined && !canRun(host, guest))
      throw new JootError('EUNSUPPORTED', `${meta.name}: the guest is ${guest}, this host is ${host}: cannot run its programs`);
    hello = { ok: true, pid: process.pid, root: dir, shell, hostname, hasSh };
  } catch (e) {
    // undo what we can, then say why
    await restoreResolv(session, undoFile).catch(() => undefined);
    await session.close().catch(() => undefined);
    tell({ ok: false, code: e instanceof JootError ? e.code : 'EIO', message: oneLine(e) });
    return 1;
  }

  const clients = new Set<Socket>();
  let closing = false;
  let timer: NodeJS.Timeout | undefined;
  const start = processStart(process.pid) ?? '';
  const writeState = () => {
    const st: HolderState = { pid: process.pid, start, clients: clients.size };
    writeFileSync(`${stateFile}.tmp`, JSON.stringify(st));
    renameSync(`${stateFile}.tmp`, stateFile);
  };

  let done!: (code: number) => void;
  const finished = new Promise<number>((r) => (done = r));

  /** Restore, unmount, detach. Under the joot's lock, which `lockHeld` says the asker holds. */
  const release = async (lockHeld: boolean): Promise<boolean> => {
    const lock = lockHeld ? undefined : await Store.lockJoot(meta.id, meta.name, 60_000);
    try {
      // an enter that arrived meanwhile connected before (and we stay), or waits for the lock
      // and then starts a new holder once this one is gone
      if (clients.size > 0 || closing) return false;
      closing = true;
      if (timer) clearTimeout(timer);
      server.close();
      rmSync(sockPath, { force: true });
      try {
        await restoreResolv(session, undoFile);
      } catch (e) {
        trace(`could not restore /etc/resolv.conf (the next enter will): ${oneLine(e)}`);
      }
      rmSync(join(Store.runStateDir(), `${meta.id}.resolv.conf`), { force: true });
      await session.close();
      // last: until now `joot cleanup` sees a holder (and waits for the joot's lock)
      rmSync(stateFile, { force: true });
      return true;
    } finally {
      lock?.release();
    }
  };
  const releaseNow = () =>
    void release(false)
      .catch((e: unknown) => {
        trace(`holder shutdown failed: ${oneLine(e)}`);
        return true;
      })
      .then((closed) => closed && done(0));
  const idleFor = (ms: number) => {
    if (timer) clearTimeout(timer);
    timer = ms > 0 ? setTimeout(releaseNow, ms) : undefined;
    if (ms === 0) releaseNow();
  };

  const leave = (sock: Socket, graceful: boolean) => {
    if (!clients.delete(sock)) return;
    writeState();
    // the last one out: keep the joot ready for the next enter, unless it died or linger is 0
    if (clients.size === 0) idleFor(graceful ? lingerMs : 0);
  };

  const onRequest = async (sock: Socket, line: string | undefined) => {
    let req: Request | undefined;
    try {
      req = line ? (JSON.parse(line) as Request) : undefined;
    } catch {
      req = undefined;
    }
    if (req?.op === 'enter') {
      if (closing) {
        sock.end(`${JSON.stringify({ ok: false, code: 'ESTATE', message: 'closing' } satisfies Failure)}\n`);
        return;
      }
      if (timer) clearTimeout(timer);
      timer = undefined;
      clients.add(sock);
      writeState();
      let bye = false;
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        if (bye || !d.includes('"bye"')) return;
        bye = true;
        // its changes on disk before it returns: a holder killed later loses nothing of it
        void syncGuest().then((synced) => sock.write(`${JSON.stringify({ ok: synced })}\n`));
      });
      sock.on('end', () => {
        leave(sock, bye);
        sock.end();
      });
      sock.on('close', () => leave(sock, bye));
      sock.resume();
      sock.write(`${JSON.stringify(hello)}\n`);
    } else if (req?.op === 'stop') {
      // the asker holds the joot's lock
      let closed = false;
      try {
        closed = await release(true);
      } catch (e) {
        trace(`holder shutdown failed: ${oneLine(e)}`);
        closed = true;
      }
      sock.end(`${JSON.stringify(closed ? { ok: true } : { ok: false, clients: clients.size })}\n`);
      if (closed) done(0);
    } else {
      sock.destroy();
    }
  };

  const server = createServer({ allowHalfOpen: true }, (sock) => {
    sock.on('error', () => undefined);
    if (closing) {
      sock.destroy();
      return;
    }
    void readLine(sock).then((line) => onRequest(sock, line));
  });

  rmSync(sockPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sockPath, () => resolve());
  });
  writeState();
  // started, but the enter that started us never comes (it died): do not wait forever
  idleFor(Math.max(lingerMs, STARTUP_MS));
  tell({ ok: true });
  const code = await finished;
  // give the last answer a moment to leave
  await new Promise((r) => setTimeout(r, 5));
  return code;
}
