// Every image format joot does not read natively (vmdk, vdi, vhdx, vpc, qcow, qed, and qcow2
// with an external data file): an unprivileged qemu-storage-daemon opens it
// read-only, every layer's driver and file pinned (the names were checked before: qemu opens
// exactly these files and probes nothing), and exports it over NBD on a unix socket in a
// private 0700 directory; nbd-client.ts reads it. close() stops the daemon and removes the
// directory. No root, no kernel NBD.
import { rmSync } from 'node:fs';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { JootError } from '../../core/errors.js';
import { leaveSandbox } from '../../core/sandbox.js';
import { sleep, spawnHelper } from '../../core/run.js';
import type { ByteSource } from '../source.js';
import { NbdClient } from './nbd-client.js';

export interface ExportLayer {
  /** real (checked) path */
  path: string;
  format: string;
  /** a qcow2 external data file (real, checked) */
  dataFile?: string;
}

/** Formats this path serves (each detected by its magic in formats.ts). */
export const QEMU_FORMATS = new Set(['qcow', 'qcow2', 'qed', 'vmdk', 'vdi', 'vhdx', 'vpc']);

/** formats with a generic `backing` option */
const COW_FORMATS = new Set(['qcow', 'qcow2', 'qed', 'vmdk']);
const READY_TIMEOUT_MS = 30_000;

function escapeOpt(v: string): string {
  return v.replace(/,/g, ',,');
}

/**
 * qemu's block options for the chain (JSON), top first: each layer's driver, file and data
 * file pinned; the last layer gets `backing: null` where its format has one, so qemu opens no
 * file joot did not check.
 */
export function blockdevOptions(chain: readonly ExportLayer[]): Record<string, unknown> {
  const [top, ...rest] = chain;
  if (!top) throw new JootError('EINVAL', 'empty image chain');
  const o: Record<string, unknown> = {
    driver: top.format,
    file: { driver: top.path.startsWith('/dev/') ? 'host_device' : 'file', filename: top.path },
  };
  if (top.dataFile) o['data-file'] = { driver: 'file', filename: top.dataFile };
  if (rest.length) o.backing = blockdevOptions(rest);
  else if (COW_FORMATS.has(top.format)) o.backing = null;
  return o;
}

/**
 * A fresh directory only we can enter, for the socket: under $XDG_RUNTIME_DIR when it is ours
 * (and closed to others), else under os.tmpdir(). Checked after creation: ours, 0700, no symlink.
 */
export async function privateSocketDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const uid = process.getuid?.() ?? -1;
  let base = tmpdir();
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && isAbsolute(xdg)) {
    const st = await lstat(xdg).catch(() => undefined);
    if (st?.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0) base = xdg;
  }
  const dir = await mkdtemp(join(base, 'joot-nbd-'));
  const st = await lstat(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o777) !== 0o700) {
    await rm(dir, { recursive: true, force: true });
    throw new JootError('EPERM', `${dir}: the private socket directory is not ours alone (refused)`);
  }
  return dir;
}

// Socket directories of exports still open: removed at exit even when nobody closed them (the
// daemons themselves die with joot: spawnHelper sets PR_SET_PDEATHSIG).
const liveDirs = new Set<string>();
let exitHook = false;
function track(dir: string): void {
  liveDirs.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
}

/** qemu's complaint, one line, without its program name and the long option text. */
function qemuMessage(stderr: string, blockdev: string): string {
  const lines = stderr
    .split('\n')
    .map((l) =>
      l
        .split(blockdev)
        .join('')
        .replace(/^qemu-storage-daemon:\s*/, '')
        .replace(/^--blockdev\s*:\s*/, '')
        .trim(),
    )
    .filter(Boolean);
  return lines.pop() ?? 'no output';
}

class ExportSource implements ByteSource {
  private closed = false;
  constructor(
    private readonly client: NbdClient,
    private readonly stop: () => Promise<void>,
  ) {}
  get name(): string {
    return this.client.name;
  }
  get size(): number {
    return this.client.size;
  }
  read(offset: number, length: number): Promise<Buffer> {
    return this.client.read(offset, length);
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.client.close();
    } finally {
      await this.stop();
    }
  }
}

/**
 * Export `chain` (top first, every named path already checked) read-only through
 * qemu-storage-daemon and connect to it; `name` (the image as the user gave it) is what
 * messages say.
 */
export async function openQemuExport(chain: readonly ExportLayer[], name: string): Promise<ByteSource> {
  leaveSandbox(`${name}: qemu-storage-daemon`); // a helper process and a socket directory
  const dir = await privateSocketDir();
  track(dir);
  const sock = join(dir, 'nbd.sock');
  const blockdev = JSON.stringify({ 'node-name': 'disk', 'read-only': true, ...blockdevOptions(chain) });
  let stderr = '';
  let exited: number | undefined | null = null; // null: running
  let child: Awaited<ReturnType<typeof spawnHelper>>['child'] | undefined;
  const stop = async (): Promise<void> => {
    try {
      if (child && exited === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child?.kill('SIGKILL'), 3000);
        await child;
        clearTimeout(t);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    }
  };
  try {
    ({ child } = await spawnHelper('qemu-storage-daemon', [
      '--blockdev',
      blockdev,
      '--nbd-server',
      `addr.type=unix,addr.path=${escapeOpt(sock)}`,
      '--export',
      'type=nbd,id=export,node-name=disk,name=,writable=off',
    ]));
    child.stderr?.on('data', (d: Buffer | string) => {
      if (stderr.length < 64 * 1024) stderr += String(d);
    });
    void child.then((r) => {
      exited = r.exitCode;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last: Error | undefined;
    for (;;) {
      if (exited !== null) {
        const msg = qemuMessage(stderr, blockdev);
        const facts = { command: ['qemu-storage-daemon'], exitCode: exited, stderr };
        const code = /encrypt|key-secret|secret/i.test(msg) ? 'EUNSUPPORTED' : 'EFORMAT';
        throw new JootError(code, `${name}: qemu-storage-daemon cannot open the image: ${msg}`, facts);
      }
      // the socket exists from bind() on; a connect before listen() is refused: try again
      if (
        await lstat(sock).then(
          (s) => s.isSocket(),
          () => false,
        )
      ) {
        try {
          return new ExportSource(await NbdClient.connect(sock, name), stop);
        } catch (e) {
          last = e as Error;
        }
      }
      if (Date.now() > deadline) {
        throw new JootError(
          'EIO',
          `${name}: qemu-storage-daemon did not start its NBD export in ${READY_TIMEOUT_MS / 1000} s${last ? ` (${last.message})` : ''}`,
        );
      }
      await sleep(20);
    }
  } catch (e) {
    await stop();
    if (e instanceof JootError) throw e;
    throw new JootError('EIO', `${name}: cannot export the image through qemu-storage-daemon: ${(e as Error).message}`);
  }
}
