// Boots the stock-kernel test VM (the fixture .stock-kernel-vm: a stock Debian kernel and
// initramfs, a minbase root with joot's host tools) under qemu TCG, runs one bash script in it
// as root with the project and the fixture cache shared read-only at their host paths, streams
// the serial console, and returns the script's exit status. The root disk is opened with
// -snapshot; everything written goes to a fresh sparse scratch disk. qemu is always killed and
// the scratch disk and control directory always removed, also on timeout or error.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface VmRunOptions {
  /** the built .stock-kernel-vm directory */
  vmDir: string;
  /** the project root (the script's working directory) */
  repoRoot: string;
  /** the fixture cache, shared read-only at its host path and exported as JOOT_FIXTURES */
  fixturesDir: string;
  /** bash, run in repoRoot */
  script: string;
  timeoutMs: number;
  /** guest memory (MiB); default 3072 */
  memoryMiB?: number;
  /** guest CPUs; default 2 */
  cpus?: number;
  /** scratch disk size (GiB, sparse); default 16 */
  scratchGiB?: number;
  onOutput?: (text: string) => void;
}

export interface VmRunResult {
  /** the script's exit status; undefined when it never finished (timeout, boot failure) */
  status: number | undefined;
  timedOut: boolean;
  /** the serial console: kernel messages, init's lines and the script's output */
  output: string;
  /** the files the script left in $JOOT_VM_OUT, by name */
  files: Record<string, string>;
  wallMs: number;
}

// Paths go onto the kernel command line as plain words.
const PLAIN_PATH = /^\/[\w./+-]*$/;

function commonAncestor(a: string, b: string): string {
  const pa = a.split('/');
  const pb = b.split('/');
  let i = 0;
  while (i < pa.length && i < pb.length && pa[i] === pb[i]) i++;
  return pa.slice(0, i).join('/') || '/';
}

/** What the VM shares as "work": the project and what its node_modules links to. */
export function shareRoot(repoRoot: string): string {
  const repo = realpathSync(repoRoot);
  const modules = path.join(repo, 'node_modules');
  const share = existsSync(modules) ? commonAncestor(repo, path.dirname(realpathSync(modules))) : repo;
  if (share === '/') throw new Error(`the project (${repo}) and its node_modules share no directory but /`);
  return share;
}

export function qemuArgs(o: VmRunOptions, share: string, fixtures: string, ctl: string, scratch: string): string[] {
  const repo = realpathSync(o.repoRoot);
  const init = path.join(repo, 'test', 'stock-kernel', 'init.sh');
  for (const p of [share, fixtures, init]) if (!PLAIN_PATH.test(p)) throw new Error(`path not usable on a kernel command line: ${p}`);
  const append = [
    'console=ttyS0',
    'root=/dev/vda',
    'rw',
    'rootfstype=ext4',
    'init=/sbin/joot-vm-init',
    'quiet',
    'loglevel=3',
    'panic=-1',
    // no network, no ACPI probing of devices this VM lacks
    'net.ifnames=0',
    `joot.share=${share}`,
    `joot.init=${init}`,
    `joot.fixtures=${fixtures}`,
  ].join(' ');
  const virtfs = (dir: string, tag: string, ro: boolean): string[] => [
    '-virtfs',
    `local,path=${dir},mount_tag=${tag},security_model=none,multidevs=remap${ro ? ',readonly=on' : ''}`,
  ];
  return [
    '-accel',
    'tcg,thread=multi',
    '-cpu',
    'max',
    '-smp',
    String(o.cpus ?? 2),
    '-m',
    String(o.memoryMiB ?? 3072),
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    'stdio',
    '-no-reboot',
    '-nic',
    'none',
    '-kernel',
    path.join(o.vmDir, 'vmlinuz'),
    '-initrd',
    path.join(o.vmDir, 'initrd.img'),
    '-append',
    append,
    '-drive',
    `file=${path.join(o.vmDir, 'root.img')},format=raw,if=virtio,snapshot=on`,
    '-drive',
    `file=${scratch},format=raw,if=virtio,cache=unsafe,discard=unmap`,
    ...virtfs(share, 'work', true),
    ...virtfs(fixtures, 'fixtures', true),
    ...virtfs(ctl, 'ctl', false),
  ];
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export async function runInStockVm(o: VmRunOptions): Promise<VmRunResult> {
  const t0 = Date.now();
  const share = shareRoot(o.repoRoot);
  const fixtures = realpathSync(o.fixturesDir);
  const ctl = mkdtempSync(path.join(tmpdir(), 'joot-stockvm-'));
  try {
    // the scratch disk lives beside the control files (the guest sees it as /dev/vdb)
    const scratch = path.join(ctl, 'scratch.raw');
    const out = path.join(ctl, 'out');
    mkdirSync(out);
    writeFileSync(scratch, '');
    truncateSync(scratch, (o.scratchGiB ?? 16) * 1024 ** 3);
    writeFileSync(
      path.join(ctl, 'run.sh'),
      [
        'set -u',
        `cd ${q(realpathSync(o.repoRoot))} || exit 125`,
        // CI: vitest must not take the serial console for a terminal
        `export JOOT_FIXTURES=${q(fixtures)} TMPDIR=/tmp JOOT_VM_OUT=/run/joot-ctl/out CI=1`,
        o.script,
        '',
      ].join('\n'),
    );
    const args = qemuArgs(o, share, fixtures, ctl, scratch);
    // qemu dies with us (setpriv --pdeathsig), also when the test process is killed
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'qemu-system-x86_64', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (b: Buffer): void => {
      const text = b.toString('utf8');
      output += text;
      o.onOutput?.(text);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let timedOut = false;
    const exited = new Promise<void>((resolve) => {
      child.on('close', () => resolve());
      child.on('error', (e) => {
        output += `\nqemu: ${e.message}\n`;
        resolve();
      });
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    const statusFile = path.join(ctl, 'status');
    const status = existsSync(statusFile) ? Number(readFileSync(statusFile, 'utf8').trim()) : undefined;
    const files: Record<string, string> = {};
    for (const e of readdirSync(out, { withFileTypes: true })) if (e.isFile()) files[e.name] = readFileSync(path.join(out, e.name), 'utf8');
    return { status, timedOut, output, files, wallMs: Date.now() - t0 };
  } finally {
    rmSync(ctl, { recursive: true, force: true });
  }
}
