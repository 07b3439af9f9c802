// Write the V8 code caches of the tools that start through one (bundle.mjs, code-cache-loader.cjs)
// with a training run: a read-only jfish and a jinspect on a small Debian-like qcow2 made
// here, on the userspace engine. A cache holds what the run that wrote it compiled; left to the
// first run after a build, it held whatever that run did (--version, or the kernel engine of
// the benchmark's first row), and every later run compiled the rest again (~20% of a
// `jfish --ro … list-filesystems`). Without sfdisk, mkfs.ext4 or qemu-img the first run
// writes the caches, as before.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'joot-train-'));
const quiet = { stdio: ['ignore', 'ignore', 'pipe'] };
try {
  const root = join(dir, 'root');
  const files = {
    'etc/hostname': 'train\n',
    'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
    'etc/debian_version': '12.0\n',
    'etc/fstab': 'LABEL=train / ext4 defaults 0 1\n',
    'etc/machine-id': '0123456789abcdef0123456789abcdef\n',
    'var/lib/dpkg/status': 'Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4\n\n',
    'usr/bin/true': '',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  symlinkSync('usr/bin', join(root, 'bin'));
  const raw = join(dir, 'train.raw');
  const image = join(dir, 'train.qcow2');
  execFileSync('truncate', ['-s', '40M', raw]);
  execFileSync('sfdisk', ['-q', raw], { input: 'label: gpt\nstart=2048, size=65536, type=L\n', stdio: ['pipe', 'ignore', 'pipe'] });
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'train', '-E', 'offset=1048576', '-d', root, raw, '32M'], quiet);
  execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, image], quiet);
  const env = { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '', JOOT_NO_SANDBOX: '1' };
  const node = (tool, args) => execFileSync(process.execPath, [`dist/bundle/${tool}.cjs`, ...args], { env, ...quiet });
  node('jfish', ['--ro', '--engine=userspace', '-a', image, '-i', 'list-filesystems', ':', 'cat', '/etc/hostname', ':', 'ls', '/etc']);
  node('jinspect', ['--engine=userspace', image]);
} catch (e) {
  console.warn(`train-code-cache: skipped (${e instanceof Error ? e.message.split('\n')[0] : e}): the first run writes the caches`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
