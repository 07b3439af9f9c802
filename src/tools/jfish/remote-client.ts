// `jfish --remote[=PID] CMD ARGS : CMD ARGS…`: send the commands to a `jfish --listen` server
// (PID from --remote=PID, else $JFISH_PID), print what they print (stdout and stderr apart,
// bytes as they are) and exit with their status. `jfish --remote < SCRIPT` (no commands, stdin
// not a terminal) sends the script instead: the server runs it line by line as local jfish
// would, and asks us to run its host commands (`!cmd`, `<!cmd`, `CMD | pipeline`) here, with
// our stdio and environment. Lean on purpose: node builtins, remote.ts and words.ts only, no
// session code, no yargs (see main.ts).
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import {
  FRAME_DONE,
  FRAME_HOST,
  FRAME_HOST_REPLY,
  FRAME_REQUEST,
  FRAME_STDERR,
  FRAME_STDOUT,
  FrameReader,
  frame,
  hostShell,
  parseHostFrame,
  socketDirs,
  socketName,
  unsafeDir,
  type HostReply,
  type RemoteDone,
  type RemoteRequest,
} from './remote.js';
import { splitCommands } from './words.js';

class ClientError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

export interface RemoteArgs {
  pid: number;
  commands: string[][];
  /** no commands: send the script on stdin */
  stdin?: true;
}

export interface ParseOptions {
  /** stdin is not a terminal, so no commands means a script there (default: no commands is an error) */
  scriptOnStdin?: boolean;
}

/** Read `--remote[=PID] [--] CMD…`; throws ClientError (status 2 for usage mistakes). */
export function parseRemoteArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, opts: ParseOptions = {}): RemoteArgs {
  let pidText: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '--remote') continue;
    if (a.startsWith('--remote=')) pidText = a.slice('--remote='.length);
    else if (a.startsWith('-') && a !== '-')
      throw new ClientError(`${a}: only --remote[=PID] can be given with --remote (the server has the disks and options)`, 2);
    else break;
  }
  let from = '--remote=PID';
  if (pidText === undefined) {
    pidText = env.JFISH_PID;
    from = 'JFISH_PID';
    if (pidText === undefined || pidText === '') {
      throw new ClientError(`--remote: no server given: set JFISH_PID (eval "$(jfish --listen -a IMAGE …)") or use --remote=PID`, 2);
    }
  }
  if (!/^[1-9][0-9]{0,9}$/.test(pidText)) throw new ClientError(`--remote: ${from} '${pidText}' is not a process id`, 2);
  const commands = splitCommands(argv.slice(i));
  if (commands.length === 0) {
    if (opts.scriptOnStdin && i >= argv.length) return { pid: Number(pidText), commands, stdin: true };
    throw new ClientError('--remote: no commands given (jfish --remote CMD ARGS : CMD ARGS …, or a script on stdin)', 2);
  }
  return { pid: Number(pidText), commands };
}

function findSocket(pid: number): string {
  const tried: string[] = [];
  for (const dir of socketDirs()) {
    const sock = join(dir, socketName(pid));
    if (existsSync(sock)) {
      const why = unsafeDir(dir);
      if (why) throw new ClientError(`--remote: refusing ${sock}: ${why}`);
      return sock;
    }
    tried.push(sock);
  }
  throw new ClientError(`--remote: no jfish server with pid ${pid} (no socket ${tried.join(' or ')}; start one with jfish --listen)`);
}

function writeOut(stream: NodeJS.WriteStream, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    stream.write(data, () => resolve()); // a closed reader (EPIPE) just drops the output
  });
}

/** Run the server's host shell request here; the reply frame. Never throws. */
async function hostCommand(payload: Buffer): Promise<Buffer> {
  let reply: HostReply;
  try {
    const { req, data } = parseHostFrame(payload);
    // the server's working directory: ours, unless its script changed it with lcd
    const shell = hostShell(() => (existsSync(req.cwd) ? req.cwd : undefined));
    if (req.op === 'system') reply = { status: await shell.system(req.command) };
    else if (req.op === 'capture') reply = await shell.capture(req.command);
    else reply = { status: await shell.pipe(req.command, data) };
  } catch (e) {
    process.stderr.write(`jfish: --remote: host command failed: ${e instanceof Error ? e.message : String(e)}\n`);
    reply = { status: 127 };
  }
  return frame(FRAME_HOST_REPLY, JSON.stringify(reply));
}

function exchange(sock: string, pid: number, req: RemoteRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const conn = net.createConnection(sock);
    let done: RemoteDone | undefined;
    // frames are handled strictly in order: output is written before a host command starts
    let pending = Promise.resolve();
    const reader = new FrameReader((type, payload) => {
      if (type === FRAME_STDOUT || type === FRAME_STDERR) {
        const copy = Buffer.from(payload);
        const stream = type === FRAME_STDOUT ? process.stdout : process.stderr;
        conn.pause();
        pending = pending.then(() => writeOut(stream, copy)).then(() => void conn.resume());
      } else if (type === FRAME_HOST) {
        const copy = Buffer.from(payload);
        conn.pause();
        pending = pending
          .then(() => hostCommand(copy))
          .then((reply) => {
            if (!conn.destroyed) conn.write(reply);
            conn.resume();
          });
      } else if (type === FRAME_DONE) {
        done = JSON.parse(payload.toString('utf8')) as RemoteDone;
        if (process.env.JFISH_REMOTE_TIMING === '1') process.stderr.write(`jfish: --remote: server time ${done.ms.toFixed(3)} ms\n`);
        conn.end();
      }
    });
    conn.on('connect', () => conn.write(frame(FRAME_REQUEST, JSON.stringify(req))));
    conn.on('data', (c: Buffer) => {
      try {
        reader.push(c);
      } catch (e) {
        conn.destroy();
        reject(new ClientError(`--remote: bad reply from the server: ${String(e)}`));
      }
    });
    conn.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? 'it is not running (stale socket?)' : (e.code ?? e.message);
      reject(new ClientError(`--remote: cannot talk to the jfish server with pid ${pid} (${sock}): ${why}`));
    });
    conn.on('close', () => {
      void pending.then(() => {
        if (done) resolve(done.status);
        else reject(new ClientError(`--remote: the jfish server with pid ${pid} closed the connection without an answer`));
      });
    });
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** The whole client: returns the exit status (never throws). */
export async function remoteMain(argv: readonly string[]): Promise<number> {
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  let code: number;
  try {
    const args = parseRemoteArgs(argv, process.env, { scriptOnStdin: process.stdin.isTTY !== true });
    const sock = findSocket(args.pid);
    const where = { cwd: process.cwd(), tty: process.stdout.isTTY === true };
    const req: RemoteRequest = args.stdin ? { script: await readStdin(), ...where } : { commands: args.commands, ...where };
    code = await exchange(sock, args.pid, req);
  } catch (e) {
    process.stderr.write(`jfish: ${e instanceof Error ? e.message : String(e)}\n`);
    code = e instanceof ClientError ? e.code : 1;
  }
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  return code;
}
