// jinspect: virt-inspector's job, host-side. Opens the images read-only, finds every
// operating system on them, and prints one JSON document (or virt-inspector's XML).
import { Session } from '../../appliance/index.js';
import { setVerbose } from '../../appliance/run.js';
import { inspect } from '../../inspect/index.js';
import { toXml } from '../../inspect/xml.js';
import { runCli, UsageError, versionLine } from '../cli.js';
import { parseArgs, usage } from './args.js';
import { StreamWriter } from '../output.js';
import { JootError } from '../../appliance/errors.js';

const TOOL = 'jinspect';

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`${versionLine(TOOL)}\n`);
    return 0;
  }
  if (args.drives.length === 0) throw new UsageError("no disk image given (try 'jinspect --help')");
  if (args.verbose) setVerbose(true);

  await using session = new Session();
  for (const d of args.drives) session.addDrive(d.path, { format: d.format, readonly: true });
  await session.launch();
  const report = await inspect(session, { applications: args.applications });
  if (report.operatingsystems.length === 0) {
    throw new JootError('ENOENT', `no operating system found in ${args.drives.map((d) => d.path).join(', ')}`);
  }
  const out = new StreamWriter(process.stdout);
  await out.write(args.xml ? toXml(report) : `${JSON.stringify(report, null, 2)}\n`);
  return 0;
}

await runCli(TOOL, main);
