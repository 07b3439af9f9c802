// Hostile directory trees, built as an attacker would build them with the real tools, for the
// walk-loop tests (walk-loops.test.ts): a FAT whose /a/b is given /a's first cluster (mkfs.vfat
// + mtools, then a two-byte patch of the 8.3 entry), an ext4 whose /a/b/up is a hard link to
// /a (debugfs link), and an ext4 whose directories each hold two links to the next level
// (debugfs link: no loop, but 2^levels paths for a walk that does not notice), and an ext4
// nested past PATH_MAX (debugfs mkdir, 2,100 levels), and an ISO 9660 whose /a/b record is
// given /a's extent (xorriso, then a patch), and an XFS whose /a/b/up is /a (mkfs.xfs -p, then
// xfs_db write). And a runner
// that watches a command's memory: the peak RSS (VmHWM) of its process tree, sampled while it runs.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, truncateSync, writeFileSync, writeSync } from 'node:fs';

import { execa } from 'execa';

const MiB = 1024 * 1024;

/** The byte offset and first cluster of the 8.3 entry `name` (11 bytes, space padded) in `dir`. */
function fatEntry(dir: Buffer, dirOffset: number, name: string): { at: number; cluster: number } {
  for (let i = 0; i + 32 <= dir.length; i += 32) {
    if (dir[i] === 0) break;
    if (dir.toString('latin1', i, i + 11) === name) return { at: dirOffset + i, cluster: dir.readUInt16LE(i + 26) };
  }
  throw new Error(`no entry ${name.trim()} in the FAT directory at byte ${dirOffset}`);
}

/**
 * A 32 MiB FAT16 holding /a/b/f, then /a/b's entry given /a's first cluster: /a/b lists /a's
 * entries (., .., b), so /a/b/b/b/… never ends. fsck.vfat would call it cross-linked.
 */
export async function fatLoopImage(path: string): Promise<void> {
  writeFileSync(path, '');
  truncateSync(path, 32 * MiB);
  await execa('mkfs.vfat', ['-F', '16', '-n', 'LOOP', path]);
  await execa('mmd', ['-i', path, '::/a', '::/a/b']);
  await execa('mcopy', ['-i', path, '-', '::/a/b/f'], { input: 'hello\n' });
  const fd = openSync(path, 'r+');
  try {
    const boot = Buffer.alloc(512);
    readSync(fd, boot, 0, 512, 0);
    const bytesPerSector = boot.readUInt16LE(11);
    const clusterBytes = boot[13]! * bytesPerSector;
    const rootOffset = (boot.readUInt16LE(14) + boot[16]! * boot.readUInt16LE(22)) * bytesPerSector;
    const rootBytes = boot.readUInt16LE(17) * 32;
    const read = (off: number, n: number): Buffer => {
      const b = Buffer.alloc(n);
      readSync(fd, b, 0, n, off);
      return b;
    };
    const a = fatEntry(read(rootOffset, rootBytes), rootOffset, 'A          ');
    const aOffset = rootOffset + rootBytes + (a.cluster - 2) * clusterBytes;
    const b = fatEntry(read(aOffset, clusterBytes), aOffset, 'B          ');
    const patch = Buffer.alloc(2);
    patch.writeUInt16LE(a.cluster);
    writeSync(fd, patch, 0, 2, b.at + 26);
  } finally {
    closeSync(fd);
  }
}

async function debugfs(path: string, commands: string[]): Promise<void> {
  const cmds = `${path}.debugfs`;
  writeFileSync(cmds, `${commands.join('\n')}\n`);
  const r = await execa('debugfs', ['-w', '-f', cmds, path]);
  // debugfs reports a failed command on stderr and still exits 0
  const bad = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/^debugfs \d/.test(l));
  if (bad.length) throw new Error(`debugfs: ${bad.join('; ')}`);
}

async function mkext4(path: string): Promise<void> {
  writeFileSync(path, '');
  truncateSync(path, 32 * MiB);
  await execa('mkfs.ext4', ['-q', '-F', '-L', 'loop', path]);
}

/** A 32 MiB ext4 holding /a/b/f and /a/b/up, a hard link to the directory /a (a loop). */
export async function ext4LoopImage(path: string): Promise<void> {
  await mkext4(path);
  const f = `${path}.f`;
  writeFileSync(f, 'hello\n');
  await debugfs(path, ['mkdir /a', 'mkdir /a/b', `write ${f} /a/b/f`, 'link /a /a/b/up']);
}

/**
 * A 32 MiB ext4 whose /d holds `levels` nested directories /d/x/x/…, each holding `y` too, a
 * second hard link to its `x`: no directory holds an ancestor (the kernel serves it), but a
 * walk that goes down both names meets 2^levels paths.
 */
export async function ext4FanImage(path: string, levels = 40): Promise<void> {
  await mkext4(path);
  const cmds = ['mkdir /d'];
  let dir = '/d';
  for (let i = 0; i < levels; i++) {
    cmds.push(`mkdir ${dir}/x`, `link ${dir}/x ${dir}/y`);
    dir += '/x';
  }
  const f = `${path}.f`;
  writeFileSync(f, 'leaf\n');
  cmds.push(`write ${f} ${dir}/f`);
  await debugfs(path, cmds);
}

/** A 32 MiB ext4 whose /deep holds `levels` nested directories /deep/d/d/…, one path longer
 *  than PATH_MAX (no loop: a walk that went on by path would pay depth² lookups). */
export async function ext4DeepImage(path: string, levels = 2100): Promise<void> {
  await mkext4(path);
  const cmds = ['mkdir /deep', 'cd /deep'];
  for (let i = 0; i < levels; i++) cmds.push('mkdir d', 'cd d');
  await debugfs(path, cmds);
}

/**
 * A 300 MiB XFS (mkfs.xfs's minimum) made from a prototype file with /a/b/up, then /a/b's
 * short-form entry `up` given /a's inode number with xfs_db (which rewrites the inode's CRC).
 */
export async function xfsLoopImage(path: string): Promise<void> {
  writeFileSync(path, '');
  truncateSync(path, 300 * MiB);
  const proto = `${path}.proto`;
  writeFileSync(proto, 'boot\n0 0\nd--755 0 0\na d--755 0 0\nb d--755 0 0\nup d--755 0 0\n$\n$\n$\n$\n');
  await execa('mkfs.xfs', ['-q', '-f', '-p', proto, path]);
  const parent = await execa('xfs_db', ['-c', 'path /a/b', '-c', 'print u3.sfdir3.hdr.parent.i4', path]);
  const a = /= (\d+)$/.exec(parent.stdout.trim())?.[1];
  if (!a) throw new Error(`xfs_db: no parent of /a/b: ${parent.stdout}`);
  await execa('xfs_db', ['-x', '-c', 'path /a/b', '-c', `write u3.sfdir3.list[0].inumber.i4 ${a}`, path]);
}

/** The byte offset of the directory record `name` in the directory extent at block `extent`. */
function isoRecord(iso: Buffer, extent: number, size: number, name: string): number {
  for (let off = extent * 2048, end = off + size; off < end; ) {
    const len = iso[off]!;
    if (len === 0) {
      off = (Math.floor(off / 2048) + 1) * 2048; // records never cross a block
      continue;
    }
    if (iso.toString('latin1', off + 33, off + 33 + iso[off + 32]!) === name) return off;
    off += len;
  }
  throw new Error(`no record ${name} in the ISO directory at block ${extent}`);
}

/**
 * An ISO 9660 (Rock Ridge, made by xorriso) holding /a/b/f, then the record of /a/b given /a's
 * extent (both byte orders): /a/b lists /a again, and so on.
 */
export async function isoLoopImage(path: string, work: string): Promise<void> {
  const tree = `${work}.tree`;
  mkdirSync(`${tree}/a/b`, { recursive: true });
  writeFileSync(`${tree}/a/b/f`, 'hello\n');
  await execa('xorriso', ['-as', 'mkisofs', '-R', '-quiet', '-o', path, tree]);
  const iso = readFileSync(path);
  const pvdRoot = 16 * 2048 + 156;
  const a = isoRecord(iso, iso.readUInt32LE(pvdRoot + 2), iso.readUInt32LE(pvdRoot + 10), 'A');
  const b = isoRecord(iso, iso.readUInt32LE(a + 2), iso.readUInt32LE(a + 10), 'B');
  iso.copy(iso, b + 2, a + 2, a + 18); // extent and size, little- and big-endian
  writeFileSync(path, iso);
}

/** Peak resident memory of a process, in KiB (0 once it is gone). */
function vmHwmKiB(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** A process and its descendants, now. */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const t of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(' ').map(Number));
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export interface BoundedRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** the largest VmHWM of any process of its tree, in MiB, sampled every 20 ms */
  peakMiB: number;
  seconds: number;
  timedOut: boolean;
}

/** Run a command, killed (its tree) after `timeoutMs`, watching its memory. */
export async function runWatched(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<BoundedRun> {
  const start = Date.now();
  const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    if (stdout.length < 16 * MiB) stdout += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < MiB) stderr += s;
  });
  let peak = 0;
  const sample = (): void => {
    for (const p of tree(child.pid!)) peak = Math.max(peak, vmHwmKiB(p));
  };
  const timer = setInterval(sample, 20);
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    process.kill(-child.pid!, 'SIGKILL');
  }, opts.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  clearInterval(timer);
  clearTimeout(killer);
  return { exitCode, stdout, stderr, peakMiB: Math.round(peak / 1024), seconds: (Date.now() - start) / 1000, timedOut };
}
