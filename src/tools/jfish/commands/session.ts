// Session life: run (launch) and help.
import { JootError } from '../../../appliance/errors.js';
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

export const commands = [run, help];
