// `jfish --listen`: guestfish's remote mode. The command started by the user (the parent)
// re-runs jfish as a detached child (setsid, stdio on /dev/null, same mount namespace), waits
// on a private pipe (fd 3) until the child has opened the session (launched and mounted with
// -i/-m) and listens on its socket, prints `JFISH_PID=<pid>; export JFISH_PID` and exits 0.
// The child serves `jfish --remote` requests, one at a time, until `exit`, SIGTERM/SIGINT/SIGHUP,
// or its socket file is deleted; then the session is closed (everything released) and the
// socket removed. Argv commands go through the same dispatcher as local argv commands; a
// script (`jfish --remote < SCRIPT`) through the same line runner as a local script, with its
// host commands (`!cmd`, `<!cmd`, `| pipeline`) sent back to the client to run (RemoteShell).
// See remote.ts for the protocol and why only our uid can connect.
import { chmodSync, closeSync, existsSync, unlinkSync, writeSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { printError } from '../cli.js';
import { TextWriter } from '../../core/output.js';
import { spawnProcess } from '../../core/run.js';
import { ExitRequest } from './control.js';
import { runScript, withOut } from './dispatch.js';
import {
  FRAME_DONE,
  FRAME_HOST_REPLY,
  FRAME_REQUEST,
  FRAME_STDERR,
  FRAME_STDOUT,
  FrameReader,
  frame,
  hostFrame,
  prepareSocketDir,
  socketName,
  type HostReply,
  type HostRequest,
  type HostShell,
  type RemoteDone,
  type RemoteRequest,
} from './remote.js';
import { errorText, runLines, scriptLines, type LineRunner } from './script.js';
import { CHILD_ENV } from './listen-env.js';

export { CHILD_ENV };
const STATUS_FD = 3;

// ---------------------------------------------------------------- the parent

/** Start the server and wait until it is ready; returns the exit status. */
export function spawnServer(argv: readonly string[]): Promise<number> {
  const script = process.argv[1];
  if (!script) throw new Error('--listen: cannot tell which script to re-run');
  const child = spawnProcess(process.execPath, [...process.execArgv, script, ...argv], {
    detached: true, // setsid: no controlling terminal, its own process group
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    // jfish itself again: the user's environment as it is (its host commands are the user's)
    locale: 'inherit',
    env: { [CHILD_ENV]: '1' },
  });
  const status = child.stdio[STATUS_FD] as NodeJS.ReadableStream & { destroy(): void };
  return new Promise((resolve) => {
    let text = '';
    let settled = false;
    const finish = (code: number): void => {
      if (settled) return;
      settled = true;
      status.destroy();
      child.unref();
      resolve(code);
    };
    child.on('error', (e) => {
      process.stderr.write(`jfish: --listen: cannot start the server: ${e.message}\n`);
      finish(1);
    });
    status.on('data', (c: Buffer) => {
      text += c.toString('utf8');
      let nl: number;
      while ((nl = text.indexOf('\n')) >= 0) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        if (line.startsWith('E '))
          printError('jfish', line.slice(2)); // escaped: may quote guest names
        else if (line.startsWith('READY')) {
          process.stdout.write(`JFISH_PID=${child.pid}; export JFISH_PID\n`);
          finish(0);
        }
      }
    });
    status.on('end', () => finish(1)); // the child gave up (its errors were passed on)
    status.on('error', () => finish(1));
  });
}

// ---------------------------------------------------------------- the child

let statusOpen = true;

/** Child only: pass a message (one line) to the parent while it is still waiting. */
export function tellParent(message: string): void {
  if (!statusOpen) return;
  try {
    writeSync(STATUS_FD, `E ${message.replace(/\n/g, ' ')}\n`);
  } catch {
    statusOpen = false;
  }
}

function ready(): void {
  if (!statusOpen) return;
  try {
    writeSync(STATUS_FD, 'READY\n');
    closeSync(STATUS_FD);
  } catch {
    // the parent is gone: serve anyway (JFISH_PID is the child's pid)
  }
  statusOpen = false;
}

/** Sends command output to the client as frames of one type; `escapes`: the client's stream is a terminal. */
class FrameWriter extends TextWriter {
  constructor(
    private readonly conn: net.Socket,
    private readonly type: number,
    escapes: boolean,
  ) {
    super(escapes);
  }
  get closed(): boolean {
    return this.conn.destroyed || !this.conn.writable;
  }
  write(data: string | Uint8Array): Promise<void> {
    if (this.closed || data.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.conn.write(frame(this.type, data), () => resolve()); // an error closes the writer
    });
  }
}

/** A remote script's host shell: each operation is run by the client, one at a time. */
class RemoteShell implements HostShell {
  private waiting?: { resolve: (r: HostReply) => void; reject: (e: Error) => void };

  constructor(private readonly conn: net.Socket) {}

  private ask(op: HostRequest['op'], command: string, data?: Buffer): Promise<HostReply> {
    if (this.conn.destroyed || !this.conn.writable) return Promise.reject(new Error('the jfish --remote client has gone away'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.conn.write(hostFrame({ op, command, cwd: process.cwd() }, data));
    });
  }

  /** The client's 'S' frame. */
  reply(payload: Buffer): void {
    const w = this.waiting;
    this.waiting = undefined;
    if (!w) return;
    try {
      const r = JSON.parse(payload.toString('utf8')) as HostReply;
      if (typeof r.status !== 'number') throw new Error('no status');
      w.resolve(r);
    } catch {
      w.reject(new Error('bad host command reply from the jfish --remote client'));
    }
  }

  /** The connection ended. */
  gone(): void {
    this.waiting?.reject(new Error('the jfish --remote client has gone away'));
    this.waiting = undefined;
  }

  async system(cmd: string): Promise<number> {
    return (await this.ask('system', cmd)).status;
  }
  async capture(cmd: string): Promise<{ stdout: string; status: number }> {
    const r = await this.ask('capture', cmd);
    return { stdout: r.stdout ?? '', status: r.status };
  }
  async pipe(pipeline: string, data: Buffer): Promise<number> {
    return (await this.ask('pipe', pipeline, data)).status;
  }
}

export interface ServeOptions {
  /** the session's context, home directories etc.; output, errors and host shell are replaced per request */
  runner: LineRunner;
  /** close the session (releases everything); called before the reply to `exit` */
  close: () => Promise<void>;
}

/**
 * Serve until `exit`, a signal or the socket's deletion. Resolves to the signal that ended it
 * (undefined for `exit` or a deleted socket). Throws if the socket cannot be set up.
 */
export async function serve(opts: ServeOptions): Promise<NodeJS.Signals | undefined> {
  const dir = prepareSocketDir();
  const sock = join(dir, socketName(process.pid));
  try {
    unlinkSync(sock); // a stale socket of an earlier process with our pid
  } catch {
    // none
  }
  const server = net.createServer();
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(sock, () => resolve());
    });
  } finally {
    process.umask(old);
  }
  chmodSync(sock, 0o600);
  let removed = false;
  const removeSocket = (): void => {
    if (removed) return;
    removed = true;
    try {
      unlinkSync(sock);
    } catch {
      // already gone
    }
  };
  process.on('exit', removeSocket);

  let endServe!: (sig: NodeJS.Signals | undefined) => void;
  const ended = new Promise<NodeJS.Signals | undefined>((r) => (endServe = r));
  let stopping = false;
  const stop = (sig: NodeJS.Signals | undefined): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    server.close();
    removeSocket();
    endServe(sig);
  };
  const onSignal = (sig: NodeJS.Signals): void => stop(sig);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  // someone deleted the socket: nobody can reach us any more, so end
  const watch = setInterval(() => {
    if (!removed && !existsSync(sock)) stop(undefined);
  }, 1000);

  let queue = Promise.resolve();
  const handle = async (conn: net.Socket, req: RemoteRequest, shell: RemoteShell): Promise<void> => {
    if (stopping) {
      conn.destroy();
      return;
    }
    // guest text is escaped for the client's terminal, not ours; errors are escaped always (errorText)
    const ctx = withOut(opts.runner.ctx, new FrameWriter(conn, FRAME_STDOUT, req.tty === true));
    const err = new FrameWriter(conn, FRAME_STDERR, false);
    let status = 0;
    let exit = false;
    try {
      process.chdir(req.cwd); // relative host paths mean what they mean to the client
    } catch {
      // the client's directory is not visible here: keep ours
    }
    const t0 = performance.now();
    try {
      if ('script' in req) {
        const runner: LineRunner = { home: opts.runner.home, ctx, shell, report: (m) => void err.write(`jfish: ${m}\n`) };
        await runLines(runner, scriptLines(req.script, runner), { stopOnError: true });
      } else {
        await runScript(ctx, req.commands);
      }
    } catch (e) {
      if (e instanceof ExitRequest) exit = true;
      else {
        await err.write(`jfish: ${errorText(e)}\n`);
        status = 1;
      }
    }
    if (exit) {
      stop(undefined);
      try {
        await opts.close();
      } catch (e) {
        await err.write(`jfish: ${errorText(e)}\n`);
        status = 1;
      }
    }
    const done: RemoteDone = { status, ms: performance.now() - t0 };
    if (!conn.destroyed) conn.end(frame(FRAME_DONE, JSON.stringify(done)));
  };
  server.on('connection', (conn) => {
    conn.on('error', () => {}); // a client that went away
    const shell = new RemoteShell(conn);
    conn.on('close', () => shell.gone());
    const reader = new FrameReader((type, payload) => {
      if (type === FRAME_HOST_REPLY) return shell.reply(payload);
      if (type !== FRAME_REQUEST) return void conn.destroy();
      let req: RemoteRequest;
      try {
        req = JSON.parse(payload.toString('utf8')) as RemoteRequest;
        if (!validRequest(req)) throw new Error('bad request');
      } catch {
        return void conn.destroy();
      }
      queue = queue.then(() => handle(conn, req, shell)).catch(() => undefined);
    });
    conn.on('data', (c: Buffer) => {
      try {
        reader.push(c);
      } catch {
        conn.destroy();
      }
    });
  });

  ready();
  const sig = await ended;
  await queue;
  return sig;
}

function validRequest(req: unknown): req is RemoteRequest {
  if (typeof req !== 'object' || req === null) return false;
  const r = req as Record<string, unknown>;
  if (typeof r.cwd !== 'string') return false;
  if (r.tty !== undefined && typeof r.tty !== 'boolean') return false;
  if (typeof r.script === 'string') return true;
  return Array.isArray(r.commands) && r.commands.every((c) => Array.isArray(c) && c.every((w) => typeof w === 'string'));
}
