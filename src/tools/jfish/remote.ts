// What the jfish remote client (`jfish --remote`) and server (`jfish --listen`) share: where the
// server's socket lives, the frames they exchange, and the host shell (`!cmd`, `<!cmd`,
// `CMD | pipeline`), which local jfish runs itself and a remote script has its client run.
// Only node builtins here: the client loads this and nothing of the session code, so
// `jfish --remote CMD` starts as fast as node does.
//
// Who may connect: Node cannot read SO_PEERCRED, so the server cannot check the peer's uid.
// Access is enforced by the file system instead: the socket is created 0600 inside a directory
// that must be owned by us with mode 0700 (checked with lstat, so a symlink is refused), which
// only our uid (and root) can traverse.
//
// Frames, both ways: a 4-byte big-endian length (of what follows), a 1-byte type, the payload.
//   client → server  'R' JSON RemoteRequest                         one request at a time:
//                        {commands: string[][], cwd}  argv commands (jfish --remote CMD : CMD)
//                        {script: string, cwd}        script lines (jfish --remote < SCRIPT)
//                        tty: true when the client's stdout is a terminal (guest text is escaped)
//                    'S' JSON HostReply {status, stdout?}         the answer to an 'H'
//   server → client  'O' stdout bytes, 'E' stderr bytes (any number, in order),
//                    'H' JSON HostRequest, '\n', then the bytes a pipeline reads (pipe only):
//                        run this on the client's host shell and answer with 'S'
//                    then 'D' JSON {status: number, ms: number}     ms: the server's time
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { lstatSync, mkdirSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { spawnProcess } from '../../core/run.js';
import { hostShellCommand } from './host-children.js';

export const FRAME_REQUEST = 0x52; // 'R'
export const FRAME_STDOUT = 0x4f; // 'O'
export const FRAME_STDERR = 0x45; // 'E'
export const FRAME_DONE = 0x44; // 'D'
export const FRAME_HOST = 0x48; // 'H'
export const FRAME_HOST_REPLY = 0x53; // 'S'

/** `tty`: the client's stdout is a terminal, so the server escapes guest text in what it sends. */
export type RemoteRequest = ({ commands: string[][]; cwd: string } | { script: string; cwd: string }) & { tty?: boolean };

/** A host shell operation the server asks the client to run (see HostShell). */
export interface HostRequest {
  op: 'system' | 'capture' | 'pipe';
  /** the shell command (system, capture) or pipeline (pipe) */
  command: string;
  /** jfish's working directory (the client's, unless the script used lcd) */
  cwd: string;
}

export interface HostReply {
  status: number;
  /** capture only */
  stdout?: string;
}

/** The 'H' payload: the request as JSON, a newline, the pipeline's input. */
export function hostFrame(req: HostRequest, data: Uint8Array = Buffer.alloc(0)): Buffer {
  return frame(FRAME_HOST, Buffer.concat([Buffer.from(`${JSON.stringify(req)}\n`, 'utf8'), data]));
}

/** Read an 'H' payload; throws on a malformed one. */
export function parseHostFrame(payload: Buffer): { req: HostRequest; data: Buffer } {
  const nl = payload.indexOf(0x0a);
  if (nl < 0) throw new Error('bad host request');
  const req = JSON.parse(payload.subarray(0, nl).toString('utf8')) as HostRequest;
  if (!['system', 'capture', 'pipe'].includes(req.op) || typeof req.command !== 'string' || typeof req.cwd !== 'string')
    throw new Error('bad host request');
  return { req, data: payload.subarray(nl + 1) };
}

export interface RemoteDone {
  status: number;
  /** time the server spent running the commands (performance.now), in ms */
  ms: number;
}

export function frame(type: number, payload: Uint8Array | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32BE(body.length + 1, 0);
  head[4] = type;
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into frames. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrame: (type: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(0);
      if (len < 1) throw new Error('bad frame');
      if (this.buf.length < 4 + len) return;
      const type = this.buf[4]!;
      const payload = this.buf.subarray(5, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      this.onFrame(type, payload);
    }
  }
}

function uid(): number {
  return process.getuid?.() ?? -1;
}

/** Why `dir` is not a safe private directory (undefined: it is one). */
export function unsafeDir(dir: string): string | undefined {
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    return `cannot use ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (st.uid !== uid()) return `${dir} is owned by uid ${st.uid}, not by us (uid ${uid()})`;
  if ((st.mode & 0o077) !== 0) return `${dir} is accessible to other users (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

/** The directories the socket may be in, preferred first. */
export function socketDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg?.startsWith('/')) {
    try {
      const st = lstatSync(xdg);
      if (st.isDirectory() && st.uid === uid() && (st.mode & 0o777) === 0o700) dirs.push(join(xdg, 'jfish'));
    } catch {
      // not usable: fall back
    }
  }
  dirs.push(join(env.JOOT_RUN_DIR ?? '/run/joot', 'jfish'));
  return dirs;
}

export function socketName(pid: number): string {
  return `jfish-${pid}.sock`;
}

/** Server side: create (0700) and check the socket directory; throws with the reason. */
export function prepareSocketDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = socketDirs(env)[0]!;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new Error(`cannot create the socket directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const why = unsafeDir(dir);
  if (why) throw new Error(`refusing the socket directory: ${why}`);
  return dir;
}

// ---------------------------------------------------------------- the host shell

/** What `!cmd`, `<!cmd` and `CMD | pipeline` need from the host. */
export interface HostShell {
  /** `!cmd`: run `sh -c cmd` with jfish's stdio; resolves to its exit status (128+N if killed). */
  system(cmd: string): Promise<number>;
  /** `<!cmd`: run `sh -c cmd` and return its stdout and exit status. */
  capture(cmd: string): Promise<{ stdout: string; status: number }>;
  /** `CMD | pipeline`: run `sh -c pipeline` with `data` on its stdin, stdout/stderr inherited. */
  pipe(pipeline: string, data: Buffer): Promise<number>;
}

function waitStatus(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== null) resolve(code);
      else resolve(128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

/** The host's /bin/sh, run in `cwd()` (default: our working directory). What it starts ends
 *  with jfish, also after a SIGKILL (host-children.ts). */
export function hostShell(cwd: () => string | undefined = () => undefined): HostShell {
  const sh = async (cmd: string, stdio: StdioOptions): Promise<ChildProcess> => {
    const { file, args } = await hostShellCommand(['-c', cmd]);
    // the user's own command: their environment and locale, not joot's C
    return spawnProcess(file, args, { stdio, cwd: cwd(), locale: 'inherit' });
  };
  return {
    async system(cmd) {
      return waitStatus(await sh(cmd, 'inherit'));
    },
    async capture(cmd) {
      const child = await sh(cmd, ['inherit', 'pipe', 'inherit']);
      const chunks: Buffer[] = [];
      child.stdout!.on('data', (c: Buffer) => chunks.push(c));
      const status = await waitStatus(child);
      return { stdout: Buffer.concat(chunks).toString('utf8'), status };
    },
    async pipe(pipeline, data) {
      const child = await sh(pipeline, ['pipe', 'inherit', 'inherit']);
      child.stdin!.on('error', () => {}); // a pipeline that does not read all of it (head -1)
      child.stdin!.end(data);
      return waitStatus(child);
    },
  };
}

/** The host shell of local jfish. */
export const systemShell: HostShell = hostShell();
