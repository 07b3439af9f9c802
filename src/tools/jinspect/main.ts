// jinspect: virt-inspector's job, host-side. Opens the images read-only, finds every
// operating system on them, and prints one JSON document (or virt-inspector's XML).
import { open } from 'node:fs/promises';
import { Session } from '../../appliance/index.js';
import { requireRoot } from '../../core/privilege.js';
import { setVerbose } from '../../core/run.js';
import { inspect, unreadFilesystems } from '../../inspect/index.js';
import { luksVolumes } from '../../inspect/luks-volumes.js';
import { strictGaps } from '../../inspect/strict.js';
import { toXml } from '../../inspect/xml.js';
import { runCli, UsageError, answeredHelpOrVersion, traceSandbox } from '../cli.js';
import { type Args, inspectOptions, parseArgs, usage } from './args.js';
import { jsonText } from '../../core/escape.js';
import { StdoutWriter } from '../../core/stdio.js';
import { JootError } from '../../core/errors.js';
import { backingOptions } from '../backing.js';
import { loadConfig } from '../config.js';
import { engineOptions } from '../engine-options.js';
import { chooseEngine } from '../../appliance/index.js';
import { startupMark } from '../../core/startup-trace.js';
import { JOB_PROCESS_ENV } from './queue-job-data.js';

startupMark('entry evaluated');

const TOOL = 'jinspect';

export async function main(argv: string[]): Promise<number> {
  // a --worker's job process (queue-pool.ts): it serves the worker's jobs over the IPC channel
  if (process.env[JOB_PROCESS_ENV] === '1' && process.send) return (await import('./queue-job.js')).serveJobs();
  const args = parseArgs(argv);
  if (answeredHelpOrVersion(TOOL, usage, args)) return 0;
  if (args.queue !== undefined || args.worker !== undefined || args.queueAction !== undefined) return queueMode(args, argv);
  if (!args.batch && (args.out !== undefined || args.from !== undefined))
    throw new UsageError(`${args.out !== undefined ? '--out' : '--from'} goes with --batch`);
  if (args.drives.length === 0 && args.from === undefined) throw new UsageError("no disk image given (try 'jinspect --help')");
  if (args.batch && args.xml) throw new UsageError('--batch prints JSON lines: --xml cannot go with it');
  checkSbomArgs(args);
  if (args.batch && args.keysFromStdin) throw new UsageError('--batch cannot read keys from stdin: use --key');
  if (args.verbose) setVerbose(true);
  traceSandbox();
  const config = loadConfig();
  const engine = engineOptions(config, args, true);
  if (chooseEngine(engine.engine) === 'kernel') requireRoot(); // before an image is opened

  if (args.batch) {
    const { runBatch } = await import('./batch.js');
    return runBatch({
      inputs: args.drives,
      from: args.from,
      jobs: args.jobs,
      out: args.out,
      cache: args.cache,
      sbom: args.sbom,
      sbomHash: args.sbomHash,
      inspect: inspectOptions(args),
      strict: args.strict,
      session: { ...backingOptions(config, args.backingDirs), ...engine },
    });
  }
  // --sbom: the images' identity is probed (qemu-img info) while the guest is inspected
  const sbom =
    args.sbom && import('./sbom.js').then((m) => m.sbomImages(args.drives, backingOptions(config, args.backingDirs), args.sbomHash));
  sbom?.catch(() => undefined); // awaited below: a failed launch reports its own error first
  await using session = new Session({ ...backingOptions(config, args.backingDirs), ...engine });
  for (const d of args.drives) session.addDrive(d.path, { format: d.format, readonly: true });
  await session.launch();
  startupMark('launched');
  const report = await inspect(session, inspectOptions(args));
  startupMark('inspected');
  if (report.operatingsystems.length === 0) {
    const hints = (await Promise.all(args.drives.map(forcedRawHint))).filter(Boolean);
    hints.push(...(await lockedHints(session)));
    hints.push(...unreadFilesystems(session));
    const why = hints.length ? ` (${hints.join('; ')})` : '';
    throw new JootError('ENOENT', `no operating system found in ${args.drives.map((d) => d.path).join(', ')}${why}`);
  }
  const out = new StdoutWriter();
  if (args.sbom && sbom) {
    const { sbomOf } = await import('./sbom.js');
    await out.write(await sbomOf(args.sbom, report, await sbom));
    startupMark('written');
    return 0;
  }
  // JSON and XML carry every control character as an escape or reference: exact and safe both
  await out.write(args.xml ? toXml(report) : `${jsonText(report, 2)}\n`);
  startupMark('written');
  // --strict: the report is out; now the reasons it is incomplete (libguestfs#400)
  const gaps = args.strict ? strictGaps(report) : [];
  if (gaps.length) throw new JootError('EINVAL', `--strict: ${gaps.join('; ')}`);
  return 0;
}

/** --sbom FMT and --sbom-hash: with what they go. */
function checkSbomArgs(args: Args): void {
  if (args.sbomHash && args.sbom === undefined) throw new UsageError('--sbom-hash goes with --sbom');
  if (args.sbom !== undefined && args.xml) throw new UsageError('--sbom cannot go with --xml');
  if (args.sbom !== undefined && !args.applications)
    throw new UsageError('--sbom lists the applications: --no-applications cannot go with it');
}

/** --queue/--worker: BullMQ on Redis, loaded only for them (queue.ts). */
async function queueMode(args: Args, argv: readonly string[]): Promise<number> {
  if (args.batch || args.xml || args.keysFromStdin)
    throw new UsageError('--queue and --worker take no --batch, --xml or --keys-from-stdin');
  if (args.worker === undefined && (args.out !== undefined || args.sbom !== undefined))
    throw new UsageError(`${args.out !== undefined ? '--out' : '--sbom'} goes with --worker (the workers make the results)`);
  checkSbomArgs(args);
  const { parseQueueUrl } = await import('./queue-url.js');
  if (args.worker !== undefined) {
    if (args.queue !== undefined || args.queueAction !== undefined || args.drives.length || args.from !== undefined)
      throw new UsageError('--worker takes its jobs from the queue: no --queue, --enqueue, --status, --collect or image');
    const address = parseQueueUrl(args.worker, '--worker');
    if (args.verbose) setVerbose(true);
    const config = loadConfig();
    if (chooseEngine(engineOptions(config, args, true).engine) === 'kernel') requireRoot();
    const { runWorker } = await import('./queue.js');
    return runWorker(address, args.jobs, argv, args.out);
  }
  if (args.queue === undefined) throw new UsageError(`--${args.queueAction} goes with --queue redis://HOST:PORT/NAME`);
  const address = parseQueueUrl(args.queue, '--queue');
  const q = await import('./queue.js');
  if (args.queueAction === 'enqueue') return q.runEnqueue(address, args.drives, args.from);
  if (args.drives.length || args.from !== undefined) throw new UsageError('images go with --enqueue');
  if (args.queueAction === 'status') return q.runStatus(address);
  if (args.queueAction === 'collect') return q.runCollect(address);
  throw new UsageError('--queue needs --enqueue, --status or --collect');
}

// Signatures of image container formats at the start of the file. Only for a hint: the image
// is opened exactly as the user said (a raw disk may legitimately hold such bytes).
const CONTAINER_SIGNATURES: { format: string; offset: number; magic: Buffer }[] = [
  { format: 'qcow2', offset: 0, magic: Buffer.from([0x51, 0x46, 0x49, 0xfb]) }, // "QFI\xfb"
  { format: 'qed', offset: 0, magic: Buffer.from('QED\0', 'latin1') },
  { format: 'vmdk', offset: 0, magic: Buffer.from('KDMV', 'latin1') },
  { format: 'vmdk', offset: 0, magic: Buffer.from('# Disk DescriptorFile', 'latin1') },
  { format: 'vhdx', offset: 0, magic: Buffer.from('vhdxfile', 'latin1') },
  { format: 'vpc', offset: 0, magic: Buffer.from('conectix', 'latin1') },
  { format: 'vdi', offset: 64, magic: Buffer.from([0x7f, 0x10, 0xda, 0xbe]) },
];

/** When --format=raw made a container image be read as raw bytes, say so. */
async function forcedRawHint(d: { path: string; format?: string }): Promise<string | undefined> {
  if (d.format !== 'raw') return undefined;
  try {
    const fh = await open(d.path, 'r');
    try {
      const head = Buffer.alloc(128);
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      const hit = CONTAINER_SIGNATURES.find(
        (s) => s.offset + s.magic.length <= bytesRead && head.subarray(s.offset, s.offset + s.magic.length).equals(s.magic),
      );
      if (hit)
        return `${d.path} looks like a ${hit.format} image but --format=raw reads it as raw bytes: drop --format or use --format=${hit.format}`;
    } finally {
      await fh.close();
    }
  } catch {
    // unreadable: the plain message says enough
  }
  return undefined;
}

runCli(TOOL, main).catch((e: unknown) => {
  // only a failure to load the code itself gets here (runCli reports everything else)
  process.stderr.write(`${TOOL}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

/** LUKS volumes no key opened: what may hide the OS when none was found. */
async function lockedHints(session: Session): Promise<string[]> {
  return (await luksVolumes(session))
    .filter((v) => !v.opened)
    .map(
      (v) =>
        `${v.device} is a LUKS volume (UUID ${v.uuid}) that was not opened: give its key with --key ${v.device}:key:PASSPHRASE or --keys-from-stdin`,
    );
}
