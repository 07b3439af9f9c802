// Session life: run (launch), help, echo, lcd, exit.
import { JootError } from '../../../appliance/errors.js';
import { ExitRequest } from '../control.js';
import { defineCommand } from '../command.js';
import { commandHelp, commandList } from '../help.js';

export const run = defineCommand({
  name: 'run',
  aliases: ['launch'],
  group: 'session',
  args: [],
  needsLaunch: false,
  summary: 'open the added drives so that commands can use them',
  description: `Open every drive added with -a: attach the images, find their partitions, logical volumes
    and filesystems. Most commands need this first.

    Unlike libguestfs, no virtual machine boots: this takes milliseconds, not seconds.`,
  async run(ctx) {
    await ctx.session.launch();
  },
});

export const help = defineCommand({
  name: 'help',
  group: 'session',
  args: [{ name: 'cmd', type: 'string', optional: true }],
  needsLaunch: false,
  summary: 'list the commands, or show the usage of one',
  description: `Without an argument, list every command with a one-line summary. With the name of a command
    (or of an alias), show its usage and description.`,
  async run(ctx, [name]) {
    if (name === undefined) return ctx.out.write(commandList(ctx.table.commands));
    const c = ctx.table.lookup(name);
    if (!c) throw new JootError('EINVAL', `unknown command: ${name}`);
    await ctx.out.write(commandHelp(c));
  },
});

export const echo = defineCommand({
  name: 'echo',
  group: 'session',
  args: [{ name: 'params', type: 'string', variadic: true }],
  needsLaunch: false,
  summary: 'display a line of text',
  description: `Print the arguments, separated by single spaces, and a newline.`,
  async run(ctx, [params]) {
    await ctx.out.write(`${params.join(' ')}\n`);
  },
});

export const lcd = defineCommand({
  name: 'lcd',
  group: 'session',
  args: [{ name: 'directory', type: 'string' }],
  needsLaunch: false,
  summary: 'change the local working directory, on the host',
  description: `Change jfish's working directory on the host: the directory that relative host file names
    (of upload, download, !cmd, …) are taken from. It does not change anything in the guest.`,
  async run(_ctx, [dir]) {
    try {
      process.chdir(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? e);
      throw new JootError(code === 'ENOENT' ? 'ENOENT' : 'EINVAL', `${dir}: ${why}`, { cause: e });
    }
  },
});

export const exit = defineCommand({
  name: 'exit',
  aliases: ['quit', 'q'],
  group: 'session',
  args: [],
  needsLaunch: false,
  summary: 'exit the shell',
  description: `End the shell (or the script): the disks are unmounted and released.`,
  async run() {
    throw new ExitRequest();
  },
});

export const commands = [run, help, echo, lcd, exit];
