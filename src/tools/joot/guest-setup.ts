// What the holder puts in place in the guest, and reads from it, for its enters.
//
// The guest's /etc/resolv.conf: a regular file is never touched — the container tree binds the
// host's (a copy in RUN/joot/ID.resolv.conf) over it, read-only. A missing or symlinked one is
// replaced by a copy of the host's for the duration, after writing how to undo it to
// JOOT_HOME/joots/NAME/resolv.json; the holder undoes it when it ends, and a holder that was
// killed before that leaves the file for the next holder, which undoes it first.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trace } from '../../core/run.js';
import type { Session } from '../../appliance/session.js';
import { Store } from './store.js';

interface ResolvUndo {
  kind: 'absent' | 'symlink';
  target?: string;
}

/** Read /etc/passwd's root shell (it must exist in the guest), else /bin/sh. */
export async function rootShell(s: Session): Promise<string> {
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

/** The guest's /etc/hostname, when it is a valid host name. */
export async function guestHostname(s: Session): Promise<string | undefined> {
  let name: string | undefined;
  try {
    name = (await s.readFile('/etc/hostname', { maxBytes: 4096 })).toString('utf8').split('\n')[0]!.trim() || undefined;
  } catch {
    return undefined;
  }
  return name && /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(name) ? name : undefined;
}

export async function restoreResolv(s: Session, undoFile: string): Promise<void> {
  if (!existsSync(undoFile)) return;
  const undo = JSON.parse(readFileSync(undoFile, 'utf8')) as ResolvUndo;
  await s.writer.rm('/etc/resolv.conf', { force: true });
  if (undo.kind === 'symlink' && undo.target) await s.writer.symlink(undo.target, '/etc/resolv.conf');
  rmSync(undoFile, { force: true });
  trace(`restored the guest's /etc/resolv.conf (${undo.kind})`);
}

/** Put the host's resolv.conf in place (see the top of this file). Returns the copy to bind over a regular file. */
export async function setupResolv(s: Session, id: string, undoFile: string): Promise<string | undefined> {
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
