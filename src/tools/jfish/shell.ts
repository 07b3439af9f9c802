// jfish: guestfish's command line, host-side. Commands come from argv (`jfish --ro -a disk.img
// run : list-filesystems`), from a script (-f FILE, or stdin when it is not a terminal), from
// the interactive shell (stdin a terminal, no commands) or, with --listen, from `jfish --remote`
// clients (server.ts). main.ts loads this module for everything but --remote.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Session } from '../../appliance/session.js';
import { oneLine } from '../../core/errors.js';
import { interruptedBy } from '../../appliance/cleanup.js';
import { isVerbose, setVerbose, trace as traceVerbose } from '../../core/run.js';
import { commitSandbox, isLeaveSandbox, leaveSandbox, sandboxCommitted, sandboxed } from '../../core/sandbox.js';
import { sandboxMisfit } from './sandbox-fit.js';
import { printError, UsageError, versionLine, traceSandbox } from '../cli.js';
import { loadConfig } from '../config.js';
import { escapeControls } from '../../core/escape.js';
import { backingOptions } from '../backing.js';
import { StdoutWriter, writeStderr } from '../../core/stdio.js';
import { prescan, type ScannedArgv } from './argv.js';
import { ExitRequest } from './control.js';
import { CommandError, makeCtx, runScript, type Invocation } from './dispatch.js';
import { CHILD_ENV } from './listen-env.js';
import { errorText, runLines, scriptLines, systemShell, type LineRunner } from './script.js';
import { Sessions, startup } from './startup.js';
import { table } from './table.js';
import { commandHelp, commandList } from './help.js';
import { engineChoice, engineOptions } from '../engine-options.js';
import { scriptEffect, type ScriptEffect } from './script-effect.js';
import { keyReader } from '../key-prompt.js';
import { startupMark } from '../../core/startup-trace.js';
import { stopYoungGenerationGrowth } from '../../core/young-gen.js';

const TOOL = 'jfish';

const usageText = `Usage: jfish [--ro|--rw] [--format=FMT] -a IMAGE [-a IMAGE…] [-i | -m DEV[:MP]…] [-v] [-x] [CMD ARGS : CMD ARGS …]
       jfish [OPTIONS] -f SCRIPT
       jfish [OPTIONS] < SCRIPT
       jfish [OPTIONS]                  (interactive shell, on a terminal)
       eval "$(jfish --listen [OPTIONS])"   (a background server; prints JFISH_PID=…)
       jfish --remote[=PID] CMD ARGS : CMD ARGS …   (run commands in that server)
       jfish --remote[=PID] < SCRIPT    (run a script in that server; !cmd runs here)

Open disk images and run guestfish-style commands on them, without booting a VM.

Options:
  -a, --add IMAGE    add a disk image (the first is /dev/sda, the next /dev/sdb, …)
  --format=FMT       the format (raw, qcow2, vmdk, …) of the -a images that follow;
                     a bare --format goes back to detecting it
  --ro, -r           open every image read-only (mount mounts read-only)
  --rw, -w           open the images read-write (the default, unless the
                     configuration file says read_only = yes)
  --backing-dir DIR  an image may name files in DIR (backing file, data file, vmdk
                     extent), besides its own directory; may be repeated
  -N [FILE=]TYPE     create a new disk (FILE, default test1.img, test2.img…) laid out
                     as TYPE, then launch; see 'jfish -N help'
  -i, --inspector    launch, find the operating system and mount its filesystems
  -m, --mount DEV[:MOUNTPOINT[:OPTIONS[:FSTYPE]]]
                     launch and mount DEV (on / by default); may be repeated
  -f, --file SCRIPT  run the commands in SCRIPT (a '#!/usr/bin/env -S jfish -f' line works)
  -v, --verbose      trace every external command joot runs
  -x                 echo each command to stderr before running it
  --listen           start a background jfish holding the session (launched and
                     mounted as -i/-m say) and print JFISH_PID=PID; export JFISH_PID
  --remote[=PID]     send the commands to the server PID (default: $JFISH_PID);
                     \`jfish --remote exit\` ends it and releases the disks
  --cmd-help [CMD]   list the commands, or show the help of one
  -h, --help         show this help
  -V, --version      show the version

Commands are separated by a lone ':'. 'jfish help' lists them.
In scripts and the shell, one command a line; a leading '-' lets the script go on if
that command fails; '!cmd' runs a host shell command, '<!cmd' runs the jfish commands
cmd prints, and 'CMD ARGS | pipeline' sends CMD's output through a host pipeline.
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
  if (scanned.cmdHelp !== undefined) {
    if (scanned.cmdHelp === '') {
      process.stdout.write(commandList(table.commands));
      return 0;
    }
    const c = table.lookup(scanned.cmdHelp);
    if (!c) throw new UsageError(`--cmd-help: unknown command: ${scanned.cmdHelp}`);
    process.stdout.write(commandHelp(c));
    return 0;
  }
  if (scanned.preparedHelp) {
    const { preparedHelp } = await import('../../ops/prepared.js');
    process.stdout.write(`jfish -N [FILE=]TYPE[:PARAM…]: prepared disks (a new sparse raw image, launched):\n${preparedHelp()}\n`);
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`${versionLine(TOOL)}\n`);
    return 0;
  }
  if (flags.verbose) setVerbose(true);
  traceSandbox();
  // the server's code (sockets) loads only for --listen
  const server = scanned.listen ? await import('./server.js') : undefined;
  const listenChild = server !== undefined && process.env[CHILD_ENV] === '1';
  if (scanned.listen) {
    if (scanned.file !== undefined || scanned.commands.length > 0) {
      throw new UsageError('--listen takes no commands or script: send them with jfish --remote');
    }
    if (!listenChild) {
      loadConfig(); // a bad configuration is reported here, not lost in the background
      return server!.spawnServer(argv);
    }
    delete process.env[CHILD_ENV];
  }
  if (scanned.file !== undefined && scanned.commands.length > 0) {
    throw new UsageError(`commands cannot be given after -f ${scanned.file} (put them in the script)`);
  }
  // the configuration: a bad file is an error even when --ro/--rw is given
  const config = loadConfig();
  startupMark('config read');
  const readonly = scanned.modeGiven ? scanned.readonly : config.read_only;

  let script: string | undefined;
  if (scanned.file !== undefined) {
    try {
      script = readFileSync(scanned.file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`${scanned.file}: cannot read the script: ${code === 'ENOENT' ? 'no such file' : String(code ?? oneLine(e))}`);
    }
  }
  const interactive = !listenChild && script === undefined && scanned.commands.length === 0 && process.stdin.isTTY === true;
  if (sandboxed()) {
    // before stdin is read or anything opened: running again replays nothing
    const misfit = scanned.drives.some((d) => d.prepared)
      ? 'a prepared disk (-N)'
      : sandboxMisfit(table, {
          readonly,
          listen: scanned.listen,
          interactive,
          scriptFile: script !== undefined || (!interactive && scanned.commands.length === 0),
          commands: scanned.commands,
        });
    if (misfit !== undefined) leaveSandbox(`jfish: ${misfit}`);
  }
  if (!listenChild && script === undefined && scanned.commands.length === 0 && !interactive) {
    script = await readStdin();
  }

  const out = new StdoutWriter();
  // -x echoes commands, which `glob` fills with guest names: escaped, as errors are
  const trace = flags.x ? (line: string) => writeStderr(`${escapeControls(line)}\n`) : undefined;
  let sessions: Sessions | undefined;
  let code = 0;
  // after ^C the command in flight fails because its session was released: that is no news
  const report = (m: string): void => {
    if (!interruptedBy()) printError(TOOL, m);
  };
  /** -N images made by this run, removed again if laying them out fails */
  const created: string[] = [];
  let leave: unknown;
  try {
    const allowed = backingOptions(config, scanned.backingDirs);
    // read-only work (--ro, read_only = yes, a script of read-only commands) reads in-process
    // unless an engine is chosen
    let effectOnce: ScriptEffect | undefined;
    const effect = (): ScriptEffect =>
      (effectOnce ??= scriptEffect(
        table,
        listenChild
          ? { kind: 'later', what: '--listen' }
          : interactive
            ? { kind: 'later', what: 'the interactive shell' }
            : script !== undefined
              ? { kind: 'script', text: script }
              : { kind: 'commands', lines: scanned.commands },
      ));
    const work = readOnlyWork(scanned, readonly, effect);
    // a transfer (tar-out of a guest's /usr): the young generation stays small from here on,
    // before the session's start grows it (core/young-gen.ts)
    if (effect().transfers) await stopYoungGenerationGrowth();
    if (isVerbose()) {
      const chosen = engineChoice(config, scanned, work.readOnly, work.otherwise);
      traceVerbose(`engine: ${chosen.engine} (${chosen.why})`);
    }
    // as guestfish: --keys-from-stdin feeds luks-open; volumes are opened at launch only with -i
    const { askKey, ...engine } = engineOptions(config, scanned, work.readOnly);
    if (scanned.inspector) Object.assign(engine, { askKey });
    sessions = new Sessions(() => new Session({ verbose: flags.verbose, ...allowed, ...engine }));
    // -N: the layout code (mkfs, LVM) loads only when a disk is to be prepared
    const prepared = scanned.drives.some((d) => d.prepared) ? await import('../../ops/prepared.js') : undefined;
    await prepared?.createPrepared(scanned.drives, readonly, created);
    for (const d of scanned.drives) sessions.addDrive(d.path, { format: d.format, readonly });
    await prepared?.layOutPrepared(sessions.session, scanned.drives, created);
    startupMark('drives added');
    const ctx = makeCtx({ sessions, out, readonly, table, readKey: keyReader(scanned.keysFromStdin) });
    const intro: string[] = [];
    await startup(sessions.session, {
      inspector: scanned.inspector,
      mounts: scanned.mounts,
      readonly,
      readonlyWhereUnwritable: true,
      // guestfish prints what -i found only in the interactive shell, under its banner
      print: interactive ? (l) => intro.push(l) : undefined,
      warn: (m) => (listenChild ? server!.tellParent(m) : printError(TOOL, m)),
    });
    const home = (user: string): string | undefined => (user === '' ? os.homedir() : undefined);
    const runner: LineRunner = { ctx, shell: systemShell, trace, home, report };
    if (listenChild) {
      const held = sessions;
      const sig = await server!.serve({ runner, close: () => held.close() });
      if (sig) code = ({ SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as Record<string, number>)[sig] ?? 1;
    } else if (interactive) {
      const { repl } = await import('./repl.js');
      await repl({ runner, intro });
    } else if (script !== undefined) {
      await runLines(runner, scriptLines(script, runner), { stopOnError: true });
    } else {
      await runScript(ctx, scanned.commands, { trace, before: commitUnlessSetup });
      startupMark('commands run');
    }
  } catch (e) {
    // before the first command: the run starts again outside the sandbox (runCli), once closed
    const inner = e instanceof CommandError ? e.cause : e;
    if (isLeaveSandbox(inner) && sandboxCommitted() === undefined) leave = inner;
    else if (!(e instanceof ExitRequest)) {
      if (listenChild) server!.tellParent(errorText(e));
      report(errorText(e));
      code = 1;
    }
  } finally {
    // Always unwind: mounts, devices, helpers, temp dirs — on success and on error.
    try {
      await sessions?.close();
    } catch (e) {
      if (listenChild) server!.tellParent(oneLine(e));
      printError(TOOL, oneLine(e));
      code ||= 1;
    }
  }
  startupMark('session closed');
  if (leave !== undefined) throw leave;
  return code;
}

/**
 * Whether this run only reads, and why (false: why not, for -v): --ro, read_only = yes, or
 * (drives read-write) a script whose every command only reads; -N lays out its new disks.
 */
function readOnlyWork(
  scanned: ScannedArgv,
  readonly: boolean,
  effect: () => ScriptEffect,
): { readOnly: string | false; otherwise?: string } {
  if (readonly) return { readOnly: scanned.modeGiven ? '--ro' : 'read_only = yes in the configuration' };
  if (scanned.drives.some((d) => d.prepared)) return { readOnly: false, otherwise: '-N lays out a new disk' };
  const e = effect();
  return e.readsOnly ? { readOnly: e.why } : { readOnly: false, otherwise: e.why };
}

/** Commands that write nothing (launching, mounting): jfish may still run again without the sandbox after them. */
const SETUP_COMMANDS: ReadonlySet<string> = new Set(['run', 'mount', 'mount-ro', 'mount-options', 'mount-vfs']);

/** Before a command that may write output: from here on, jfish cannot simply start again. */
function commitUnlessSetup(inv: Invocation): void {
  if (!SETUP_COMMANDS.has(inv.command.name)) commitSandbox(`jfish ran ${inv.command.name}`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
