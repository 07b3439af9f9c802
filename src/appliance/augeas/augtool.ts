// One long-lived augtool co-process, driven line by line: Augeas's own command language
// (aug_srun) over a pipe. After each command two sentinels follow, a `get` of a path holding
// a random nonce (its answer ends the command's stdout) and an unknown command named by the
// nonce (its error ends the command's stderr), so a command's output and errors are told
// apart however long they are; a value in a guest file cannot forge the nonce.
import type { ChildProcess } from 'node:child_process';
import { JootError } from '../../core/errors.js';
import { nodeCrypto } from '../../core/lazy-node.js';
import { spawnProcess } from '../../core/run.js';

/** What one command printed: its output, and its error text ('' when it succeeded). */
export interface AugReply {
  readonly out: string;
  readonly err: string;
}

/** More output than any sane command prints: the co-process is stopped. */
const MAX_REPLY_CHARS = 64 * 1024 * 1024;
/** A command that runs longer (a load of huge or pathological guest files) stops the co-process. */
const COMMAND_TIMEOUT_MS = 120_000;

/**
 * Quote one word for aug_srun: double quotes, with backslash before `"` and `\`. A line break
 * cannot be carried (a command is one line).
 */
export function augQuote(word: string): string {
  if (/[\n\r\0]/.test(word)) throw new JootError('EINVAL', `${JSON.stringify(word)}: Augeas's command line cannot carry a line break`);
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

interface Pending {
  resolve(r: AugReply): void;
  reject(e: Error): void;
}

export class Augtool {
  private readonly nonce = `joot-end-${nodeCrypto().randomBytes(12).toString('hex')}`;
  private readonly outEnd: string;
  private readonly errEnd: string;
  private out = '';
  private err = '';
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private dead: Error | undefined;

  private constructor(private readonly child: ChildProcess) {
    this.outEnd = `/${this.nonce} (o)\n`;
    this.errEnd = `Unknown command '${this.nonce}'\n`;
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (s: string) => this.took('out', s));
    child.stderr!.on('data', (s: string) => this.took('err', s));
    child.stdin!.on('error', () => undefined); // a write after its exit: reported by 'exit'
    child.on('error', (e) => this.fail(new JootError('ECMD', `augtool: ${e.message}`)));
    child.on('exit', (code, sig) => this.fail(new JootError('ECMD', `augtool exited (${sig ?? `status ${code}`})${this.lastWords()}`)));
  }

  /** Start augtool (under setpriv: it dies with joot) with these options (-r ROOT …). */
  static start(options: readonly string[]): Augtool {
    const child = spawnProcess('setpriv', ['--pdeathsig', 'KILL', '--', 'stdbuf', '-oL', 'augtool', ...options], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // Augeas reads AUGEAS_ROOT / AUGEAS_LENS_LIB from the environment: it gets none of joot's
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      extendEnv: false,
      traceAs: `augtool ${options.join(' ')} &`,
    });
    return new Augtool(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Run one command line (its words already quoted); commands run one at a time. */
  command(line: string): Promise<AugReply> {
    const next = this.queue.then(() => this.send(line));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private send(line: string): Promise<AugReply> {
    if (this.dead) return Promise.reject(this.dead);
    if (/[\n\r]/.test(line)) return Promise.reject(new JootError('EINVAL', 'an Augeas command is one line'));
    return new Promise<AugReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new JootError('ECMD', `augtool: no answer within ${COMMAND_TIMEOUT_MS / 1000} s (stopped)`));
      }, COMMAND_TIMEOUT_MS);
      this.pending = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.child.stdin!.write(`${line}\nget /${this.nonce}\n${this.nonce}\n`);
    });
  }

  private took(stream: 'out' | 'err', s: string): void {
    if (stream === 'out') this.out += s;
    else this.err += s;
    if (this.out.length + this.err.length > MAX_REPLY_CHARS) {
      this.fail(new JootError('ECMD', 'augtool: the answer is too large (stopped)'));
      return;
    }
    const o = this.out.indexOf(this.outEnd);
    const e = this.err.indexOf(this.errEnd);
    if (o < 0 || e < 0 || !this.pending) return;
    const out = this.out.slice(0, o);
    // the sentinel's own error: "error: Failed to execute command" just before its name
    const err = this.err.slice(0, e).replace(/(^|\n)error: Failed to execute command\n$/, '$1');
    this.out = this.out.slice(o + this.outEnd.length);
    this.err = this.err.slice(e + this.errEnd.length);
    const p = this.pending;
    this.pending = undefined;
    p.resolve({ out, err });
  }

  private lastWords(): string {
    const tail = this.err.trim().split('\n').slice(-2).join('; ');
    return tail ? `: ${tail}` : '';
  }

  private fail(e: Error): void {
    this.dead ??= e;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    const p = this.pending;
    this.pending = undefined;
    p?.reject(this.dead);
  }

  /** Stop it (idempotent); resolves once it has exited. */
  async close(): Promise<void> {
    // exited already, or never started (no pid: no 'exit' will come)
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.dead ??= new JootError('ESTATE', 'the Augeas handle is closed');
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
    const p = this.pending;
    this.pending = undefined;
    p?.reject(this.dead);
  }
}
