// jformat: virt-format's job, host-side. Checks everything first (images, sizes, filesystem,
// label, LV path), then formats each disk in its own session: wipe, partition table, LVM,
// filesystem. An image made by --create is removed again if anything fails.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { extname } from 'node:path';
import { JootError, isJootError } from '../../core/errors.js';
import { probeImage } from '../../appliance/image.js';
import { requireRoot } from '../../core/privilege.js';
import { backingOptions } from '../backing.js';
import { loadConfig } from '../config.js';
import { fsPlan, applyPlan, defaultTable, validatePlan, type Content, type LayoutPlan } from '../../appliance/layout/prepare.js';
import { run, setVerbose } from '../../core/run.js';
import { Session } from '../../appliance/session.js';
import { runCli, UsageError, answeredHelpOrVersion } from '../cli.js';
import { parseArgs, usage, type Args } from './args.js';
import { refuseHostDeviceInUse } from './host-device.js';

const TOOL = 'jformat';

function planFor(args: Args, diskSize: number): LayoutPlan {
  const fs = args.filesystem ? fsPlan(args.filesystem, args.label) : undefined;
  const content: Content = args.lvm ? { kind: 'lvm', vg: args.lvm.vg, lv: args.lvm.lv, fs } : fs ? { kind: 'fs', fs } : { kind: 'empty' };
  const table = args.partition === 'auto' ? defaultTable(diskSize) : args.partition;
  return { table, parts: [{ content }], wipeAll: args.wipe };
}

interface Disk {
  path: string;
  format?: string;
  size: number;
  plan: LayoutPlan;
  created: boolean;
}

/** Everything that can be checked without writing: nothing is touched if any disk fails. */
async function prepare(args: Args): Promise<Disk[]> {
  const disks: Disk[] = [];
  for (const d of args.drives) {
    let size: number;
    let format = d.format;
    if (args.create !== undefined) {
      if (existsSync(d.path))
        throw new JootError('EINVAL', `${d.path}: exists already: --create makes a new image (drop --create to format this one)`);
      size = args.create;
      format = args.targetFormat ?? (extname(d.path) === '.qcow2' ? 'qcow2' : 'raw');
    } else {
      const info = await probeImage(d.path, {
        format: d.format as never,
        readonly: true,
        check: false,
        ...backingOptions(loadConfig(), args.backingDirs),
      });
      if (info.isBlockDevice) {
        if (!args.forceHostDevice) throw new JootError('EPERM', `${d.path}: is a host block device: give --force-host-device to format it`);
        refuseHostDeviceInUse(d.path);
      }
      size = info.virtualSize;
      format = info.format;
    }
    const plan = planFor(args, size);
    validatePlan(plan, size, d.path);
    disks.push({ path: d.path, format, size, plan, created: false });
  }
  return disks;
}

async function create(d: Disk): Promise<void> {
  await run('qemu-img', ['create', '-q', '-f', d.format!, d.path, String(d.size)]);
  d.created = true;
}

async function formatDisk(d: Disk, args: Args): Promise<void> {
  await using session = new Session({ engine: 'kernel', verbose: args.verbose, ...backingOptions(loadConfig(), args.backingDirs) });
  session.addDrive(d.path, { format: d.format as never, readonly: false });
  await session.launch();
  const log = args.echo ? (step: string) => process.stderr.write(`${TOOL}: ${d.path}: ${step}\n`) : undefined;
  await applyPlan(session, '/dev/sda', d.plan, log);
  await session.layout.flush('/dev/sda');
}

export async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (isJootError(e, 'EINVAL')) throw new UsageError(e.message);
    throw e;
  }
  if (answeredHelpOrVersion(TOOL, usage, args)) return 0;
  if (args.drives.length === 0) throw new UsageError("no disk given: use -a IMAGE (try 'jformat --help')");
  if (args.verbose) setVerbose(true);
  requireRoot(); // before an image is probed or created
  const disks = await prepare(args);
  for (const d of disks) {
    try {
      if (args.create !== undefined) await create(d);
      await formatDisk(d, args);
    } catch (e) {
      if (d.created) {
        await rm(d.path, { force: true });
        throw new JootError(isJootError(e) ? e.code : 'EIO', `${oneLineOf(e)} (the new image was removed)`, { cause: e });
      }
      throw e;
    }
  }
  return 0;
}

function oneLineOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

await runCli(TOOL, main);
