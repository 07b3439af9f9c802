// ostree systems (Fedora CoreOS, Silverblue, RHEL for Edge …): the root filesystem holds no OS at
// its top, only /ostree/deploy/STATEROOT/deploy/CHECKSUM.SERIAL directories, each a whole OS tree
// (a "deployment"). The boot partition's Boot Loader Specification entries (/loader/entries/*.conf,
// /loader being a link to loader.0 or loader.1) say which deployments are bootable: each entry's
// `options` line carries `ostree=/ostree/boot.N/STATEROOT/BOOTCSUM/SERIAL`, a path on the root
// filesystem that is a symlink chain to the deployment. ostree numbers its entries with `version`,
// the newest deployment highest; boot loaders (grub's blscfg, systemd-boot) sort by it, highest
// first, and boot that one by default. That default deployment is the OS inspected here.
// Guest data is hostile: entries and deployments are bounded, files capped, nothing throws.
import type { GuestFiles } from '../types.js';
import { readSmallText, splitLines } from './os-release.js';
import { compareVersions, versionNumbers } from './coreos.js';

/** Entries read from one loader directory. */
const MAX_ENTRIES = 64;
/** Deployments looked at (stateroots × deployments). */
const MAX_DEPLOYMENTS = 64;
const ENTRY_MAX_BYTES = 16 * 1024;

export interface BlsEntry {
  /** file name in loader/entries */
  file: string;
  title?: string;
  version?: string;
  options?: string;
}

export function parseBlsEntry(file: string, text: string): BlsEntry {
  const e: BlsEntry = { file };
  for (const line of splitLines(text)) {
    const m = /^\s*([a-z_]+)\s+(.*?)\s*$/.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'title' || key === 'version' || key === 'options') e[key] ??= value;
  }
  return e;
}

/** The `ostree=` kernel argument of an options line. */
export function ostreeArg(options: string | undefined): string | undefined {
  for (const a of (options ?? '').split(/\s+/)) if (a.startsWith('ostree=')) return a.slice('ostree='.length);
  return undefined;
}

/** BLS entries in `dir` (e.g. /loader/entries), default first: by version, highest first, then
 *  by file name, highest first (the order systemd-boot and blscfg give). */
export async function readLoaderEntries(files: GuestFiles, dir: string): Promise<BlsEntry[]> {
  const names = (await files.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.conf')).slice(0, MAX_ENTRIES);
  const out: BlsEntry[] = [];
  for (const n of names) {
    const text = await readSmallText(files, `${dir}/${n}`, undefined, ENTRY_MAX_BYTES);
    if (text !== undefined) out.push(parseBlsEntry(n, text));
  }
  return out.sort(
    (a, b) =>
      compareVersions(versionNumbers(b.version ?? ''), versionNumbers(a.version ?? '')) || (a.file < b.file ? 1 : a.file > b.file ? -1 : 0),
  );
}

/** The deployment directories on an ostree root mounted at "/", in byte order. */
export async function listDeployments(files: GuestFiles): Promise<string[]> {
  const out: string[] = [];
  for (const stateroot of await files.readdir('/ostree/deploy').catch(() => [] as string[])) {
    const dir = `/ostree/deploy/${stateroot}/deploy`;
    for (const d of await files.readdir(dir).catch(() => [] as string[])) {
      if (out.length >= MAX_DEPLOYMENTS) return out;
      if (/^[0-9a-f]{64}\.[0-9]+$/.test(d) && (await files.isDir(`${dir}/${d}`).catch(() => false))) out.push(`${dir}/${d}`);
    }
  }
  return out;
}

/** Resolve an absolute guest path through its symlinks (inside the guest, bounded): the
 *  deployment an `ostree=` argument names. */
export async function resolveGuestPath(files: GuestFiles, path: string): Promise<string | undefined> {
  const todo = path.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let hops = 0;
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    const cur = `/${[...done, c].join('/')}`;
    const link = await files.readlink(cur).catch(() => undefined);
    if (link === undefined) {
      if (!(await files.exists(cur).catch(() => false))) return undefined;
      done.push(c);
      continue;
    }
    if (++hops > 40) return undefined;
    todo.unshift(...link.split('/').filter((x) => x !== '' && x !== '.'));
    if (link.startsWith('/')) done.length = 0;
  }
  return `/${done.join('/')}`;
}

export interface DeploymentChoice {
  /** the deployment directory on the root filesystem */
  path: string;
  /** the loader entry that boots it by default, when one does */
  entry?: BlsEntry;
}

/**
 * The deployment the boot loader boots by default: the first entry (default order) whose
 * ostree= path resolves to one of the root's deployments. Without such an entry: the only
 * deployment, or, of several, the last in byte order with a warning saying so.
 */
export async function chooseDeployment(
  root: GuestFiles,
  entries: readonly BlsEntry[],
  warnings: string[],
): Promise<DeploymentChoice | undefined> {
  const deployments = await listDeployments(root);
  if (deployments.length === 0) return undefined;
  for (const entry of entries) {
    const arg = ostreeArg(entry.options);
    if (arg === undefined) continue;
    const path = await resolveGuestPath(root, arg);
    if (path !== undefined && deployments.includes(path)) return { path, entry };
  }
  if (deployments.length === 1) return { path: deployments[0]! };
  warnings.push(
    `ostree: ${deployments.length} deployments and no boot loader entry naming one of them; inspected ${deployments[deployments.length - 1]}`,
  );
  return { path: deployments[deployments.length - 1]! };
}
