// jfish: guestfish's command line, host-side. First cut: commands from argv only
// (`jfish --ro -a disk.img run : list-filesystems`); the interactive shell comes later.
import { Session } from '../../appliance/index.js';
import { oneLine } from '../../appliance/errors.js';
import { setVerbose } from '../../appliance/run.js';
import { printError, runCli, UsageError, versionLine } from '../cli.js';
import { StreamWriter } from '../output.js';
import { prescan } from './argv.js';
import { CommandError, runScript } from './dispatch.js';
import { table } from './table.js';

const TOOL = 'jfish';

const usageText = `Usage: jfish [--ro|--rw] [--format=FMT] -a IMAGE [-a IMAGE…] [-v] [-x] [CMD ARGS : CMD ARGS …]

Open disk images and run guestfish-style commands on them, without booting a VM.

Options:
  -a, --add IMAGE    add a disk image (the first is /dev/sda, the next /dev/sdb, …)
  --format=FMT       the format (raw, qcow2, vmdk, …) of the -a images that follow;
                     a bare --format goes back to detecting it
  --ro, -r           open every image read-only (mount mounts read-only)
  --rw, -w           open the images read-write (the default)
  -v, --verbose      trace every external command joot runs
  -x                 echo each command to stderr before running it
  -h, --help         show this help
  -V, --version      show the version

Commands are separated by a lone ':'. 'jfish help' lists them.
Example: jfish --ro -a disk.img run : mount-ro /dev/sda1 / : cat /etc/hostname
`;

interface Flags {
  help: boolean;
  version: boolean;
  verbose: boolean;
  x: boolean;
}

async function parseFlags(options: string[]): Promise<Flags> {
  // the common call has no such options: skip loading yargs (a tenth of startup time)
  if (options.length === 0) return { help: false, version: false, verbose: false, x: false };
  const { default: yargs } = await import('yargs');
  const argv = yargs(options)
    .scriptName(TOOL)
    .help(false)
    .version(false)
    .exitProcess(false)
    .strict()
    .option('help', { alias: 'h', type: 'boolean', default: false })
    .option('version', { alias: 'V', type: 'boolean', default: false })
    .option('verbose', { alias: 'v', type: 'boolean', default: false })
    .option('x', { type: 'boolean', default: false })
    .fail((msg, err) => {
      throw new UsageError(`${msg || oneLine(err)} (try 'jfish --help')`);
    })
    .parseSync();
  return { help: argv.help, version: argv.version, verbose: argv.verbose, x: argv.x };
}

export async function main(argv: string[]): Promise<number> {
  const scanned = prescan(argv);
  const flags = await parseFlags(scanned.options);
  if (flags.help) {
    process.stdout.write(usageText);
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`${versionLine(TOOL)}\n`);
    return 0;
  }
  if (flags.verbose) setVerbose(true);
  if (scanned.commands.length === 0) {
    printError(TOOL, "the interactive shell is not built yet: give commands after the options (see 'jfish --help')");
    return 2;
  }

  const out = new StreamWriter(process.stdout);
  let session: Session | undefined;
  let code = 0;
  try {
    session = new Session({ verbose: flags.verbose });
    for (const d of scanned.drives) session.addDrive(d.path, { format: d.format, readonly: scanned.readonly });
    const ctx = { session, out, readonly: scanned.readonly, table };
    await runScript(ctx, scanned.commands, {
      trace: flags.x ? (line) => process.stderr.write(`${line}\n`) : undefined,
    });
  } catch (e) {
    printError(TOOL, e instanceof CommandError && e.command ? `${e.command}: ${e.message}` : oneLine(e));
    code = 1;
  } finally {
    // Always unwind: mounts, devices, helpers, temp dirs — on success and on error.
    try {
      await session?.close();
    } catch (e) {
      printError(TOOL, oneLine(e));
      code ||= 1;
    }
  }
  return code;
}

await runCli(TOOL, main);
