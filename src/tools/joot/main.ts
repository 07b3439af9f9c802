// joot: the umbrella command. For now only `joot cleanup`, which releases what dead joot
// processes left behind (loop devices, mounts, helpers, temp dirs).
import { reapDeadSessions } from '../../appliance/registry.js';
import { setVerbose } from '../../appliance/run.js';
import { printError, runCli, UsageError, versionLine } from '../cli.js';

const TOOL = 'joot';

const usageText = `Usage: joot [-v] COMMAND

Commands:
  cleanup    release the loop devices, mounts and helpers of joot processes that died
             without cleaning up (e.g. killed with SIGKILL)

Other commands are not built yet.
`;

export async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== '-v' && a !== '--verbose');
  if (args.length !== argv.length) setVerbose(true);
  const [cmd, ...rest] = args;
  if (cmd === undefined) throw new UsageError("no command given (try 'joot --help')");
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(usageText);
    return 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    process.stdout.write(`${versionLine(TOOL)}\n`);
    return 0;
  }
  if (cmd !== 'cleanup') {
    printError(TOOL, `${cmd}: not built yet`);
    return 2;
  }
  if (rest.length) throw new UsageError(`cleanup: unexpected argument: ${rest[0]}`);
  const n = await reapDeadSessions();
  process.stdout.write(`reaped ${n} dead session${n === 1 ? '' : 's'}\n`);
  return 0;
}

await runCli(TOOL, main);
