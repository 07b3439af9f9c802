// The holder of an entered joot: a background joot process (`joot __holder DIR`, started by the
// first `joot enter` in a private mount namespace of its own, in a session of its own) that
// attaches the joot's overlay read-write, mounts the guest by its inspected mountpoints and keeps
// all that while any `joot enter` of the joot runs. Each enter connects to its socket
// (RUN/joot/ID.sock), gets what it needs to start its container (the holder's pid, whose mount
// namespace it joins with nsenter, the guest root and mounts, the root shell, the hostname),
// and stays connected while its program runs. When the last one leaves (or dies: its socket
// closes), the holder takes the joot's lock, restores what it changed, unmounts, detaches,
// and only then answers the last enter and exits — so `joot enter x -- true && joot delete x`
// never sees the joot busy.
//
// The guest's /etc/resolv.conf: a regular file is never touched — each container binds the
// host's (a copy in RUN/joot/ID.resolv.conf) over it, read-only. A missing or symlinked one is
// replaced by a copy of the host's for the duration, after writing how to undo it to
// JOOT_HOME/joots/NAME/resolv.json; the holder undoes it when it ends, and a holder that was
// killed before that leaves the file for the next holder, which undoes it first.
//
// After a SIGKILL of the holder: its helpers die with it (PR_SET_PDEATHSIG), its mount
// namespace with its last process (the enters notice the closed socket and kill their
// containers), and the next joot command reaps what its session record lists.
import { closeSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { JootError, oneLine } from '../../appliance/errors.js';
import { processStart } from '../../appliance/registry.js';
import { trace } from '../../appliance/run.js';
import { Session } from '../../appliance/session.js';
import { ARCH_BINARIES, detectArch } from '../../inspect/linux/arch.js';
import { canRun, hostArch } from '../jfish/commands/guest.js';
import { mountJoot } from './mount-plan.js';
import { Store, type JootMeta } from './store.js';

export interface Hello {
  ok: true;
  pid: number;
  root: string;
  mounts: { mountpoint: string; hostTarget: string; readonly: boolean }[];
  shell: string;
  hostname?: string;
  resolvConf?: string;
  hasSh: boolean;
}

export interface Failure {
  ok: false;
  code: string;
  message: string;
}

interface ResolvUndo {
  kind: 'absent' | 'symlink';
  target?: string;
}

const IDLE_MS = 30_000;

/** Read /etc/passwd's root shell (it must exist in the guest), else /bin/sh. */
async function rootShell(s: Session): Promise<string> {
  try {
    const passwd = (await s.readFile('/etc/passwd', { maxBytes: 1 << 20 })).toString('utf8');
    for (const line of passwd.split('\n')) {
      const f = line.split(':');
      if (f[0] === 'root' && f[6] && f[6].startsWith('/')) {
        const st = await s.stat(f[6]).catch(() => undefined);
        if (st?.isFile && st.mode & 0o111) return f[6];
      }
    }
  } catch {
    /* no passwd */
  }
  return '/bin/sh';
}

async function restoreResolv(s: Session, undoFile: string): Promise<void> {
  if (!existsSync(undoFile)) return;
  const undo = JSON.parse(readFileSync(undoFile, 'utf8')) as ResolvUndo;
  await s.writer.rm('/etc/resolv.conf', { force: true });
  if (undo.kind === 'symlink' && undo.target) await s.writer.symlink(undo.target, '/etc/resolv.conf');
  rmSync(undoFile, { force: true });
  trace(`restored the guest's /etc/resolv.conf (${undo.kind})`);
}

/** Put the host's resolv.conf in place (see the top of this file). Returns the copy to bind. */
async function setupResolv(s: Session, id: string, undoFile: string): Promise<string | undefined> {
  let host: Buffer;
  try {
    host = readFileSync('/etc/resolv.conf');
  } catch {
    return undefined; // the host has none: nothing to put in place
  }
  const copy = join(Store.runStateDir(), `${id}.resolv.conf`);
  writeFileSync(copy, host, { mode: 0o644 });
  if (!(await s.isDir('/etc'))) return undefined;
  const st = await s.lstat('/etc/resolv.conf').catch(() => undefined);
  if (st?.isFile) return copy; // bound over it in each container
  if (st && !st.isSymbolicLink) return undefined; // a directory or a device: leave it alone
  const undo: ResolvUndo = st ? { kind: 'symlink', target: await s.readlink('/etc/resolv.conf') } : { kind: 'absent' };
  writeFileSync(undoFile, JSON.stringify(undo));
  await s.writer.rm('/etc/resolv.conf', { force: true });
  await s.writer.write('/etc/resolv.conf', host, { mode: 0o644 });
  return undefined;
}

/** `joot __holder JOOTDIR`: returns the exit status. fd 3 gets one JSON line: ready or why not. */
export async function holderMain(jootDir: string): Promise<number> {
  const tell = (msg: { ok: true } | Failure) => {
    try {
      writeSync(3, `${JSON.stringify(msg)}\n`);
      closeSync(3);
    } catch {
      /* the enter that started us is gone */
    }
  };
  let meta: JootMeta;
  try {
    meta = JSON.parse(readFileSync(join(jootDir, 'meta.json'), 'utf8')) as JootMeta;
  } catch (e) {
    tell({ ok: false, code: 'ENOENT', message: `${jootDir}: no joot there (${oneLine(e)})` });
    return 1;
  }
  const undoFile = join(jootDir, 'resolv.json');
  const session = new Session();
  let hello: Hello;
  const stateFile = Store.holderFile(meta.id);
  const sockPath = Store.socketPath(meta.id);
  try {
    session.addDrive(join(jootDir, 'disk.qcow2'), { format: 'qcow2', readonly: false });
    await session.launch();
    await mountJoot(session, jootDir);
    const guest = await detectArch(session.reader, { candidates: ['/bin/sh', '/usr/bin/env', ...ARCH_BINARIES] });
    const host = hostArch();
    if (guest !== undefined && !canRun(host, guest)) throw new JootError('EUNSUPPORTED', `${meta.name}: the guest is ${guest}, this host is ${host}: cannot run its programs`);
    await restoreResolv(session, undoFile); // what a killed holder left
    const resolvConf = await setupResolv(session, meta.id, undoFile);
    let hostname: string | undefined;
    try {
      hostname = (await session.readFile('/etc/hostname', { maxBytes: 4096 })).toString('utf8').split('\n')[0]!.trim() || undefined;
    } catch {
      hostname = undefined;
    }
    if (hostname && !/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(hostname)) hostname = undefined;
    const shell = await rootShell(session);
    const hasSh = (await session.stat('/bin/sh').catch(() => undefined))?.isFile === true;
    const { root, mounts } = session.execRoot();
    hello = { ok: true, pid: process.pid, root, mounts, shell, hostname, resolvConf, hasSh };
  } catch (e) {
    // undo what we can, then say why
    await restoreResolv(session, undoFile).catch(() => undefined);
    await session.close().catch(() => undefined);
    tell({ ok: false, code: e instanceof JootError ? e.code : 'EIO', message: oneLine(e) });
    return 1;
  }

  const clients = new Set<Socket>();
  let closing = false;
  let idle: NodeJS.Timeout | undefined;
  const server = createServer({ allowHalfOpen: true }, (sock) => {
    if (closing) {
      sock.destroy();
      return;
    }
    if (idle) clearTimeout(idle);
    clients.add(sock);
    sock.on('error', () => undefined);
    sock.write(`${JSON.stringify(hello)}\n`);
    sock.on('end', () => void leave(sock, true));
    sock.on('close', () => void leave(sock, false));
  });

  let done!: (code: number) => void;
  const finished = new Promise<number>((r) => (done = r));

  const shutdown = async (): Promise<boolean> => {
    // under the joot's lock: an enter that arrives meanwhile either connected before (and we
    // stay), or waits for the lock and then starts a new holder once this one is gone
    const lock = await Store.lockJoot(meta.id, meta.name, 60_000);
    try {
      if (clients.size > 0 || closing) return false;
      closing = true;
      server.close();
      rmSync(stateFile, { force: true });
      rmSync(sockPath, { force: true });
      try {
        await restoreResolv(session, undoFile);
      } catch (e) {
        trace(`could not restore /etc/resolv.conf (the next enter will): ${oneLine(e)}`);
      }
      rmSync(join(Store.runStateDir(), `${meta.id}.resolv.conf`), { force: true });
      await session.close();
      return true;
    } finally {
      lock.release();
    }
  };

  const leave = async (sock: Socket, graceful: boolean) => {
    const was = clients.delete(sock);
    if (!was) return;
    let closed = false;
    if (clients.size === 0) {
      try {
        closed = await shutdown();
      } catch (e) {
        trace(`holder shutdown failed: ${oneLine(e)}`);
        closed = true;
      }
    }
    if (graceful) sock.end();
    if (closed) done(0);
  };

  rmSync(sockPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sockPath, () => resolve());
  });
  writeFileSync(`${stateFile}.tmp`, JSON.stringify({ pid: process.pid, start: processStart(process.pid) ?? '' }));
  renameSync(`${stateFile}.tmp`, stateFile);
  idle = setTimeout(() => {
    if (clients.size === 0) void shutdown().then((c) => c && done(0));
  }, IDLE_MS);
  tell({ ok: true });
  const code = await finished;
  // give the last answer a moment to leave
  await new Promise((r) => setTimeout(r, 5));
  return code;
}
