// joot: clean-room environments from disk images. One file per concern: args.ts (options,
// names, sizes), store.ts (the layout under joot_home, locks), images.ts (image add/list/rm),
// build.ts (image build --debootstrap), joots.ts (create/list/rename/delete/purge/save),
// enter.ts, holder.ts, holder-client.ts and guest-setup.ts (enter), mount-plan.ts (where the
// guest filesystems go).
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { reapDeadSessions } from '../../appliance/registry.js';
import { requireRoot } from '../../core/privilege.js';
import { setVerbose, spawnProcess, trace } from '../../core/run.js';
import { formatConfig, loadConfig } from '../config.js';
import { runCli, UsageError, versionLine } from '../cli.js';
import { jsonText } from '../../core/escape.js';
import { StreamWriter } from '../../core/output.js';
import { operands, parseArgs } from './args.js';
// The commands' modules load on use: most of the code (the session, inspection) is needed by a
// few commands only, and parsing all of it costs ~60 ms on every call.
const images = () => import('./images.js');
const joots = () => import('./joots.js');
import { removeDeadWork, Store } from './store.js';

const TOOL = 'joot';

const usageText = `Usage: joot [-v] COMMAND [ARGS…]

Images (never written: joots are copy-on-write overlays on them):
  image add NAME FILE [--format FMT]       register an existing disk image (any qemu format)
  image build NAME --debootstrap SUITE [--mirror URL] [--size 4G] [--format qcow2|raw]
                                           a new Debian/Ubuntu image (GPT, ext4, fstab, hostname)
  image list [--json] [--no-inspect]       images with format, sizes, backing chain and OS
  image rm NAME                            unregister (and remove, if joot made it); refused
                                           while joots depend on it

Joots:
  create NAME [IMAGE]                      a new joot (IMAGE: a name, a file, default_image)
  list [--json]                            name, image, created, size on disk, entered or not
  enter NAME [--no-network] [-- CMD ARGS…] run CMD (default: root's shell) in the joot; a second
                                           enter of an entered joot joins the same environment
  rename OLD NEW                           rename a joot that is not entered
  delete NAME…                             delete joots that are not entered
  save NAME NEWIMAGE [--format qcow2|raw]  flatten a joot into a new standalone image
  purge [--yes]                            delete every joot and image under joot_home

Other:
  cleanup                                  release the joots kept ready after their last exit
                                           (see linger) and what dead joot processes left (every
                                           command starts by releasing the latter)
  config                                   the effective configuration and where it came from

Options: -v/--verbose (trace every external command), -h/--help, -V/--version.
Configuration: $JOOT_CONFIG, else ~/.joot, else /etc/joot.cfg (joot_home, default_image,
image_path, pass_thru_env, read_only, linger: seconds an entered joot stays attached and
mounted after its last enter exits, default 10).
`;

/** Re-run this command in a private mount namespace (commands that mount, e.g. to inspect). */
async function inPrivateNamespace(argv: string[]): Promise<number | undefined> {
  if (process.env.JOOT_IN_NS || process.env.JOOT_NO_UNSHARE === '1' || process.getuid?.() !== 0 || !process.argv[1]) return undefined;
  const child = spawnProcess('unshare', ['--mount', '--propagation', 'private', '--', process.execPath, process.argv[1], ...argv], {
    stdio: 'inherit',
    // joot itself again: the user's environment as it is
    locale: 'inherit',
    env: { JOOT_IN_NS: '1', JOOT_NS_FRESH: '1' },
  });
  return new Promise((resolve) => {
    child.on('exit', (code, sig) => resolve(code ?? 128 + (sig ? 15 : 0)));
    child.on('error', () => resolve(undefined));
  });
}

/** Stale per-joot state of holders that died (SIGKILL): their state file and socket. */
function removeStaleHolders(): number {
  let n = 0;
  for (const id of Store.holderIds()) {
    // only if nobody holds the joot's lock (a holder being started writes its state under it)
    if (Store.holder(id) || existsSync(Store.lockDir(id))) continue;
    for (const x of [`${id}.json`, `${id}.sock`, `${id}.resolv.conf`]) rmSync(join(Store.runStateDir(), x), { force: true });
    n++;
  }
  return n;
}

async function cleanup(store: Store | undefined): Promise<number> {
  const n = await reapDeadSessions();
  const h = removeStaleHolders();
  const w = store ? removeDeadWork(store) : 0;
  if (h || w) trace(`removed ${h} stale holder record(s), ${w} work dir(s) of dead commands`);
  return n;
}

function json(x: unknown): void {
  process.stdout.write(`${jsonText(x, 2)}\n`);
}

/** A table holding guest text (OS names from inspection): escaped on a terminal. */
function table(text: string): Promise<void> {
  return new StreamWriter(process.stdout).guestText(text);
}

async function confirm(question: string): Promise<boolean> {
  process.stderr.write(question);
  const rl = createInterface({ input: process.stdin, terminal: false });
  const line = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return line.trim() === 'yes';
}

export async function main(argv: string[]): Promise<number> {
  // global options before the command
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-v' || a === '--verbose') setVerbose(true);
    else break;
  }
  const [cmd, ...rest] = argv.slice(i);
  if (cmd === undefined) throw new UsageError("no command given (try 'joot --help')");
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(usageText);
    return 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    process.stdout.write(`${versionLine(TOOL)}\n`);
    return 0;
  }
  if (cmd === '__holder') {
    const { holderMain } = await import('./holder.js');
    return holderMain(rest[0] ?? '', rest[1] ?? '0');
  }
  if (cmd === 'cleanup') {
    if (rest.length) throw new UsageError(`cleanup: unexpected argument: ${rest[0]}`);
    requireRoot();
    let store: Store | undefined;
    try {
      store = new Store(loadConfig());
    } catch {
      store = undefined; // a broken configuration must not stop the reaping
    }
    const n = await cleanup(store);
    // also the joots kept ready after their last exit: `cleanup` leaves nothing attached
    const { releaseIdleHolders } = await import('./holder-client.js');
    const r = await releaseIdleHolders();
    process.stdout.write(
      `reaped ${n} dead session${n === 1 ? '' : 's'}${r ? `; released ${r} joot${r === 1 ? '' : 's'} kept ready` : ''}\n`,
    );
    return 0;
  }
  if (cmd === 'config') {
    if (rest.length) throw new UsageError(`config: unexpected argument: ${rest[0]}`);
    process.stdout.write(formatConfig(loadConfig()));
    return 0;
  }

  // every other command reaps dead sessions and holders under /run/joot first
  requireRoot();
  const config = loadConfig();
  const store = new Store(config);
  await cleanup(store);

  switch (cmd) {
    case 'image': {
      const [sub, ...args] = rest;
      switch (sub) {
        case 'add': {
          const p = parseArgs('image add', args, { format: { value: true } });
          const [name, file] = operands('image add', p, ['NAME', 'FILE']);
          await (await images()).imageAdd(store, name!, file!, p.opts.get('format') as string | undefined);
          return 0;
        }
        case 'build': {
          const p = parseArgs('image build', args, {
            debootstrap: { value: true },
            mirror: { value: true },
            size: { value: true },
            format: { value: true },
          });
          const [name] = operands('image build', p, ['NAME']);
          const suite = p.opts.get('debootstrap');
          if (typeof suite !== 'string') throw new UsageError('image build: give --debootstrap SUITE (e.g. bookworm)');
          const ns = await inPrivateNamespace(argv);
          if (ns !== undefined) return ns;
          const { imageBuild } = await import('./build.js');
          const path = await imageBuild(store, name!, {
            suite,
            mirror: p.opts.get('mirror') as string | undefined,
            size: p.opts.get('size') as string | undefined,
            format: p.opts.get('format') as string | undefined,
            log: (l) => process.stderr.write(`joot: ${l}\n`),
          });
          process.stdout.write(`${name}: ${path}\n`);
          return 0;
        }
        case 'list':
        case 'ls': {
          const p = parseArgs('image list', args, { json: { value: false }, 'no-inspect': { value: false } });
          operands('image list', p, []);
          const inspectOs = !p.opts.has('no-inspect');
          if (inspectOs) {
            const ns = await inPrivateNamespace(argv);
            if (ns !== undefined) return ns;
          }
          const { imageList, formatImageRows } = await images();
          const rows = await imageList(store, { inspect: inspectOs });
          if (p.opts.has('json')) json(rows);
          else await table(formatImageRows(rows));
          return 0;
        }
        case 'rm':
        case 'remove': {
          const p = parseArgs('image rm', args, {});
          if (p.operands.length === 0) throw new UsageError('image rm: missing NAME');
          const { imageRm } = await images();
          for (const n of p.operands) await imageRm(store, n);
          return 0;
        }
        case undefined:
          throw new UsageError('image: missing subcommand (add, build, list, rm)');
        default:
          throw new UsageError(`image ${sub}: unknown subcommand (add, build, list, rm)`);
      }
    }
    case 'create': {
      const p = parseArgs('create', rest, {});
      const [name, image] = operands('create', p, ['NAME', 'IMAGE'], 1);
      const img = image ?? config.default_image;
      if (!img) throw new UsageError('create: missing IMAGE (and no default_image in the configuration)');
      await (await joots()).create(store, name!, img);
      return 0;
    }
    case 'list':
    case 'ls': {
      const p = parseArgs('list', rest, { json: { value: false } });
      operands('list', p, []);
      const { list, formatJootRows } = await joots();
      const rows = list(store);
      if (p.opts.has('json')) json(rows);
      else await table(formatJootRows(rows));
      return 0;
    }
    case 'rename': {
      const p = parseArgs('rename', rest, {});
      const [from, to] = operands('rename', p, ['OLD', 'NEW']);
      await (await joots()).rename(store, from!, to!);
      return 0;
    }
    case 'delete':
    case 'rm': {
      const p = parseArgs('delete', rest, {});
      if (p.operands.length === 0) throw new UsageError('delete: missing NAME');
      const { remove } = await joots();
      for (const n of p.operands) await remove(store, n);
      return 0;
    }
    case 'purge': {
      const p = parseArgs('purge', rest, { yes: { value: false, short: 'y' } });
      operands('purge', p, []);
      if (!p.opts.has('yes')) {
        const n = store.joots().length;
        const m = store.registeredImages().length;
        const ok = await confirm(
          `joot: this deletes ${n} joot${n === 1 ? '' : 's'} and ${m} image registration${m === 1 ? '' : 's'} (with the images joot made) under ${store.home}.\nType "yes" to go on: `,
        );
        if (!ok) {
          process.stderr.write('joot: purge: nothing deleted\n');
          return 1;
        }
      }
      const r = await (await joots()).purge(store);
      process.stdout.write(`purged ${r.joots} joot${r.joots === 1 ? '' : 's'} and ${r.images} image${r.images === 1 ? '' : 's'}\n`);
      return 0;
    }
    case 'save': {
      const p = parseArgs('save', rest, { format: { value: true } });
      const [name, image] = operands('save', p, ['NAME', 'NEWIMAGE']);
      const path = await (await joots()).save(store, name!, image!, p.opts.get('format') as string | undefined);
      process.stdout.write(`${image}: ${path}\n`);
      return 0;
    }
    case 'enter': {
      // options before the command; `joot enter NAME CMD…` works without `--` too (as with
      // schroot and nspawn): the first operand after NAME starts the command
      let network = true;
      let name: string | undefined;
      let command: string[] | undefined;
      for (let k = 0; k < rest.length; k++) {
        const a = rest[k]!;
        if (a === '--') {
          command = rest.slice(k + 1);
          break;
        }
        if (a === '--no-network') network = false;
        else if (a === '--network') network = true;
        else if (a.startsWith('-')) throw new UsageError(`enter: unknown option ${a} (put the command after --)`);
        else if (name === undefined) name = a;
        else {
          command = rest.slice(k);
          break;
        }
      }
      if (!name) throw new UsageError('enter: missing NAME (usage: joot enter NAME [--no-network] [-- CMD ARGS…])');
      const { enter } = await import('./enter.js');
      return enter(store, name, { network, command: command?.length ? command : undefined });
    }
    default:
      throw new UsageError(`${cmd}: unknown command (try 'joot --help')`);
  }
}

await runCli(TOOL, main);
