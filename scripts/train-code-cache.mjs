// Write the V8 code caches of the tools that start through one (bundle.mjs, code-cache-loader.cjs)
// with training runs: a read-only jfish and a jinspect on a small Debian-like qcow2 made here
// (a GPT with an ext4 and an LVM PV, whose LV holds another), on the userspace engine, and
// BullMQ's (vendor-queue.cjs), loaded as a worker's start loads it. jfish
// keeps two caches (the loader picks one by the run's kind): one for runs with inspection (-i),
// one for the device-level rest (list-filesystems and its like), each holding what its kind
// compiles and little more: a run deserializes all of its cache. Left to the first run after a
// build, a cache held whatever that run did, and every later run compiled the rest again (~20% of
// a `jfish --ro … list-filesystems`). Without sfdisk, mkfs.ext4 or qemu-img the first run
// writes the caches, as before.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lvmCrc } from '../dist/src/disk/volumes/lvm/crc.js';

const MiB = 1 << 20;
// the LVM PV: partition 2 of the training disk, its data (one 8 MiB LV) from 1 MiB into it
const PV_START = 34 * MiB;
const PV_SIZE = 16 * MiB;
const LV_OFFSET = PV_START + MiB;
const LV_SIZE = 8 * MiB;

/** An LVM2 PV label, metadata area header and VG text (vg0 with LV root), written into `raw` at PV_START. */
function writeLvmPv(raw) {
  const id = (c) => c.repeat(32);
  const dashed = (s) =>
    [s.slice(0, 6), s.slice(6, 10), s.slice(10, 14), s.slice(14, 18), s.slice(18, 22), s.slice(22, 26), s.slice(26)].join('-');
  const text = Buffer.from(`vg0 {
id = "${dashed(id('v'))}"
seqno = 1
format = "lvm2"
status = ["RESIZEABLE", "READ", "WRITE"]
flags = []
extent_size = 8192
max_lv = 0
max_pv = 0
metadata_copies = 0
physical_volumes {
pv0 {
id = "${dashed(id('p'))}"
device = "/dev/sda2"
status = ["ALLOCATABLE"]
flags = []
dev_size = ${PV_SIZE / 512}
pe_start = 2048
pe_count = 3
}
}
logical_volumes {
root {
id = "${dashed(id('l'))}"
status = ["READ", "WRITE", "VISIBLE"]
flags = []
segment_count = 1
segment1 {
start_extent = 0
extent_count = 2
type = "striped"
stripe_count = 1
stripes = [
"pv0", 0
]
}
}
}
}
contents = "Text Format Volume Group"
version = 1
description = ""
creation_host = "train"
creation_time = 0
\0`);
  const label = Buffer.alloc(512);
  label.write('LABELONE', 0, 'latin1');
  label.writeBigUInt64LE(1n, 8);
  label.writeUInt32LE(32, 20);
  label.write('LVM2 001', 24, 'latin1');
  label.write(id('p'), 32, 'latin1');
  label.writeBigUInt64LE(BigInt(PV_SIZE), 64);
  label.writeBigUInt64LE(BigInt(MiB), 72); // data area (size 0: to the end), then the list's end
  label.writeBigUInt64LE(4096n, 104); // metadata area, then the list's end
  label.writeBigUInt64LE(BigInt(MiB - 4096), 112);
  label.writeUInt32LE(lvmCrc(label.subarray(20)), 16);
  const mda = Buffer.alloc(512);
  mda.write(' LVM2 x[5A%r0N*>', 4, 'latin1');
  mda.writeUInt32LE(1, 20);
  mda.writeBigUInt64LE(4096n, 24);
  mda.writeBigUInt64LE(BigInt(MiB - 4096), 32);
  mda.writeBigUInt64LE(512n, 40);
  mda.writeBigUInt64LE(BigInt(text.length), 48);
  mda.writeUInt32LE(lvmCrc(text), 56);
  mda.writeUInt32LE(lvmCrc(mda.subarray(4)), 0);
  const fd = openSync(raw, 'r+');
  try {
    writeSync(fd, label, 0, 512, PV_START + 512);
    writeSync(fd, mda, 0, 512, PV_START + 4096);
    writeSync(fd, text, 0, text.length, PV_START + 4096 + 512);
  } finally {
    closeSync(fd);
  }
}

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
  execFileSync('truncate', ['-s', '52M', raw]);
  execFileSync('sfdisk', ['-q', raw], {
    input: `label: gpt\nstart=2048, size=65536, type=L\nstart=${PV_START / 512}, size=${PV_SIZE / 512}, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n`,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'train', '-E', 'offset=1048576', '-d', root, raw, '32M'], quiet);
  writeLvmPv(raw);
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'data', '-E', `offset=${LV_OFFSET}`, raw, `${LV_SIZE / 1024}K`], quiet);
  execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, image], quiet);
  const env = { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '', JOOT_NO_SANDBOX: '1' };
  const node = (tool, args) => execFileSync(process.execPath, [`dist/bundle/${tool}.cjs`, ...args], { env, ...quiet });
  // the device-level run first: the inspecting one then starts from its cache (as a cold run of
  // either kind starts from the other's), and adds what it compiles
  node('jfish', ['--ro', '--engine=userspace', '-a', image, 'run', ':', 'list-filesystems', ':', 'lvs']);
  node('jfish', ['--ro', '--engine=userspace', '-a', image, '-i', 'list-filesystems', ':', 'cat', '/etc/hostname', ':', 'ls', '/etc']);
  node('jinspect', ['--engine=userspace', image]);
  // BullMQ's (jinspect --queue/--worker): loaded, as a worker's start loads it
  node('vendor-queue', []);
} catch (e) {
  console.warn(`train-code-cache: skipped (${e instanceof Error ? e.message.split('\n')[0] : e}): the first run writes the caches`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
