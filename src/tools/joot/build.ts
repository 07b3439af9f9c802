// joot image build NAME --debootstrap SUITE [--mirror URL] [--size 4G] [--format qcow2|raw]
//
// A Debian or Ubuntu image from scratch, without loop devices or mounts on the host:
//   1. debootstrap --variant=minbase SUITE WORK/root MIRROR, in a private mount namespace (the
//      /proc and /sys it mounts in the target vanish with it, also when it is killed)
//   2. the tree tidied as container images are (no .debs, no package lists, no host
//      resolv.conf), /etc/hostname = the image name, /etc/hosts, a real /etc/fstab (UUID=)
//   3. a sparse raw file with a GPT and one Linux partition from 1 MiB (sfdisk on the file);
//      mkfs.ext4 -d WORK/root writes the tree straight into the partition (-E offset=)
//   4. qemu-img convert to qcow2 (unless --format raw), mode 0444, renamed into
//      JOOT_HOME/images/NAME.FMT and registered — all in a work directory under .tmp until then.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trackLive, untrackLive } from '../../appliance/cleanup.js';
import { JootError } from '../../core/errors.js';
import { isVerbose, run, startCommand } from '../../core/run.js';
import { checkName, parseSize } from './args.js';
import { inspectImage } from './images.js';
import type { Store } from './store.js';

const UBUNTU = new Set([
  'trusty',
  'xenial',
  'bionic',
  'focal',
  'jammy',
  'kinetic',
  'lunar',
  'mantic',
  'noble',
  'oracular',
  'plucky',
  'questing',
]);

export function defaultMirror(suite: string, env: NodeJS.ProcessEnv = process.env): string {
  if (UBUNTU.has(suite)) return env.JOOT_UBUNTU_MIRROR || 'http://archive.ubuntu.com/ubuntu';
  return env.JOOT_DEBIAN_MIRROR || 'http://deb.debian.org/debian';
}

/** A hostname from an image name: letters, digits and dashes, at most 63. */
export function hostnameFor(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) || 'joot'
  );
}

export interface BuildOptions {
  suite: string;
  mirror?: string;
  size?: string;
  format?: string;
  log: (line: string) => void;
}

export async function imageBuild(store: Store, name: string, o: BuildOptions): Promise<string> {
  checkName('image', name);
  if (!/^[a-z][a-z0-9.-]*$/.test(o.suite)) throw new JootError('EINVAL', `${o.suite}: not a suite name (e.g. bookworm, trixie, noble)`);
  const size = parseSize(o.size ?? '4G');
  if (!size || size < 256 * 1024 * 1024) throw new JootError('EINVAL', `--size ${o.size}: give a size of at least 256M (e.g. 4G)`);
  const format = o.format ?? 'qcow2';
  if (format !== 'qcow2' && format !== 'raw') throw new JootError('EINVAL', `--format ${format}: images are built as qcow2 or raw`);
  if (store.imageEntry(name)) throw new JootError('EINVAL', `${name}: an image of that name exists`);
  const mirror = o.mirror ?? defaultMirror(o.suite);
  if (!/^(https?|file):\/\//.test(mirror)) throw new JootError('EINVAL', `--mirror ${mirror}: not an http(s):// or file:// URL`);

  const work = store.workDir('build');
  let child: (Promise<unknown> & { pid?: number }) | undefined;
  const live: AsyncDisposable = {
    async [Symbol.asyncDispose]() {
      if (child?.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await child.catch(() => undefined);
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
  trackLive(live);
  try {
    const root = join(work, 'root');
    o.log(`debootstrap --variant=minbase ${o.suite} from ${mirror} (this takes a while)`);
    const started = await startCommand(
      'unshare',
      ['--mount', '--propagation', 'private', '--', 'debootstrap', '--variant=minbase', o.suite, root, mirror],
      {
        traceAs: `unshare --mount --propagation private debootstrap --variant=minbase ${o.suite} ${root} ${mirror}`,
        reject: false,
        all: true,
        detached: true, // its own process group: killed as a whole on ^C
        stdout: isVerbose() ? 'inherit' : 'pipe',
        stderr: isVerbose() ? 'inherit' : 'pipe',
        env: { PATH: `/usr/sbin:/usr/bin:/sbin:/bin${process.env.PATH ? `:${process.env.PATH}` : ''}` },
      },
    );
    child = started.child;
    const r = await started.child;
    if (r.exitCode !== 0) {
      const tail = String(r.all ?? '')
        .trim()
        .split('\n')
        .filter(Boolean)
        .slice(-3)
        .join('; ');
      throw new JootError('ECMD', `debootstrap ${o.suite} failed (exit ${r.exitCode ?? r.signal}): ${tail || 'no output'}`);
    }
    child = undefined;
    if (!existsSync(join(root, 'var/lib/dpkg/status'))) throw new JootError('ECMD', 'debootstrap made no Debian tree');

    // tidy like container images; the host's resolv.conf is not the guest's
    for (const d of ['var/cache/apt/archives', 'var/cache/apt']) {
      for (const f of safeList(join(root, d))) if (f.endsWith('.deb') || f.endsWith('.bin')) rmSync(join(root, d, f), { force: true });
    }
    for (const f of safeList(join(root, 'var/lib/apt/lists')))
      if (f !== 'lock' && f !== 'partial') rmSync(join(root, 'var/lib/apt/lists', f), { force: true });
    rmSync(join(root, 'etc/resolv.conf'), { force: true });
    const host = hostnameFor(name);
    const uuid = randomUUID();
    writeFileSync(join(root, 'etc/hostname'), `${host}\n`);
    writeFileSync(
      join(root, 'etc/hosts'),
      `127.0.0.1\tlocalhost\n127.0.1.1\t${host}\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n`,
    );
    writeFileSync(
      join(root, 'etc/fstab'),
      `# /etc/fstab: static file system information (made by joot image build).\n#\n# <file system> <mount point>   <type>  <options>       <dump>  <pass>\nUUID=${uuid} /               ext4    errors=remount-ro 0       1\n`,
    );

    // the disk: GPT, one partition from 1 MiB to the end, ext4 filled from the tree
    const raw = join(work, 'disk.raw');
    await run('truncate', ['-s', String(size), raw]);
    await run('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', raw], {
      input: 'label: gpt\nstart=2048, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="root"\n',
    });
    const table = JSON.parse((await run('sfdisk', ['--json', raw])).stdout) as {
      partitiontable: { partitions: { start: number; size: number }[] };
    };
    const part = table.partitiontable.partitions[0]!;
    o.log(`mkfs.ext4 with the tree (${Math.round((size / 1024 ** 3) * 10) / 10} GiB disk)`);
    await run('mkfs.ext4', [
      '-q',
      '-F',
      '-L',
      'root',
      '-U',
      uuid,
      '-E',
      `offset=${part.start * 512}`,
      '-d',
      root,
      raw,
      `${Math.floor((part.size * 512) / 1024)}k`,
    ]);
    rmSync(root, { recursive: true, force: true });
    let out = raw;
    if (format === 'qcow2') {
      out = join(work, 'disk.qcow2');
      await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, out]);
      rmSync(raw, { force: true });
    }
    const os = await inspectImage(out, format).catch(() => undefined);
    chmodSync(out, 0o444); // never written again: joots use it as a read-only backing file
    const final = join(store.imagesDir, `${name}.${format}`);
    await store.locked(async () => {
      if (store.imageEntry(name)) throw new JootError('EINVAL', `${name}: an image of that name exists`);
      if (existsSync(final)) throw new JootError('EINVAL', `${final}: exists already (not registered: remove it first)`);
      renameSync(out, final);
      const st = statSync(final);
      store.writeImageEntry({
        name,
        path: final,
        format,
        managed: true,
        added: new Date().toISOString(),
        source: `debootstrap ${o.suite}`,
        os: os ? { ...os, size: st.size, mtimeMs: st.mtimeMs } : undefined,
      });
    });
    return final;
  } finally {
    untrackLive(live);
    await live[Symbol.asyncDispose]();
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
