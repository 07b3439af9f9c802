// jwinreg: virt-win-reg's job, host-side. Reads a key or value from a Windows guest's registry,
// exports a key as .reg, or merges .reg files into the hives offline.
import { leaveSandbox } from '../../core/sandbox.js';
import { backingOptions } from '../backing.js';
import { loadConfig } from '../config.js';
import { readFile } from 'node:fs/promises';
import { JootError } from '../../core/errors.js';
import { chooseEngine, Session } from '../../appliance/index.js';
import { engineOptions } from '../engine-options.js';
import { requireRoot } from '../../core/privilege.js';
import { setVerbose } from '../../core/run.js';
import { exportRegText, regFileBytes } from '../../hive/index.js';
import { escapeControls } from '../../core/escape.js';
import { runCli, answeredHelpOrVersion, traceSandbox } from '../cli.js';
import { StdoutWriter } from '../../core/stdio.js';
import { parseArgs, usage } from './args.js';
import { HiveFiles, theWindowsRoot } from './guest.js';
import { locate } from './hive-map.js';
import { mergeFiles } from './merge.js';
import { keyOutput, valueOutput } from './print.js';

const TOOL = 'jwinreg';

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.mode === 'merge') leaveSandbox('jwinreg --merge'); // bin/jwinreg starts it outside: a safeguard
  if (answeredHelpOrVersion(TOOL, usage, args)) return 0;
  if (args.verbose) setVerbose(true);
  traceSandbox();
  const config = loadConfig();
  // reading needs no root: the userspace engine by default (see engine-options.ts)
  const engine =
    args.mode === 'merge'
      ? { engine: 'kernel' as const }
      : engineOptions(config, { keys: [], keysFromStdin: false, noKernelMounts: args.noKernelMounts }, true);
  if (chooseEngine(engine.engine) === 'kernel') requireRoot(); // before a .reg file or the image is read
  const image = args.image!;
  const out = new StdoutWriter();

  if (args.mode === 'merge') {
    // read and parse every .reg before the image is opened: a bad file changes nothing
    const regs = await Promise.all(
      args.regFiles.map(async (f) => {
        try {
          return { file: f, data: await readFile(f) };
        } catch (e) {
          throw new JootError('ENOENT', `${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
        }
      }),
    );
    await using session = new Session({ ...engine, ...backingOptions(config, args.backingDirs) });
    session.addDrive(image, { format: args.format, readonly: false });
    await session.launch();
    const root = await theWindowsRoot(session, image);
    await mergeFiles(session, root, regs);
    return 0;
  }

  const loc = locate(args.key!);
  await using session = new Session({ ...engine, ...backingOptions(config, args.backingDirs) });
  session.addDrive(image, { format: args.format, readonly: true });
  await session.launch();
  const root = await theWindowsRoot(session, image);
  await session.mount(root.device, '/', { readonly: true });
  const { hive } = await new HiveFiles(session, root).open(loc.hive);
  const node = hive.lookup(loc.key);
  if (!node) throw new JootError('ENOENT', `${args.key!}: no such key`);
  // Key and value names are guest text: escaped when stdout is a terminal, exact otherwise.
  if (args.mode === 'export' && args.utf16) {
    const text = exportRegText(node, loc.prefix);
    await out.write(regFileBytes(out.escapes ? escapeControls(text, { keepNewlines: true }) : text));
  } else if (args.mode === 'export') {
    await out.guestText(exportRegText(node, loc.prefix));
  } else if (args.value !== undefined) {
    const name = args.value === '@' ? '' : args.value;
    const v = node.value(name);
    if (!v) throw new JootError('ENOENT', `${args.key!}: no value ${args.value === '@' ? '@ (default)' : `"${args.value}"`}`);
    const o = valueOutput(v);
    await ('lines' in o ? out.lines(o.lines) : out.write(o.bytes));
  } else {
    await out.guestText(keyOutput(node, loc.prefix));
  }
  return 0;
}

await runCli(TOOL, main);
