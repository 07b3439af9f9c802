// The boot loader's default entry, as GRUB and systemd-boot decide it: grub.cfg's menu and its
// `set default=` (a number, "N>M" into a submenu, an id or a title, or ${saved_entry} from
// grubenv), and BLS entries (/boot/loader/entries/*.conf, used by grub's blscfg on Fedora/RHEL
// and by systemd-boot: grubenv's saved_entry or loader.conf's default, else the newest).
import type { BootEntry, GuestFiles } from '../types.js';
import { compareVersions, FILES_MAX, listDir, readConfig } from './bounded.js';

const GRUB_CFGS = ['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg', '/boot/efi/EFI/fedora/grub.cfg'];
const GRUBENVS = ['/boot/grub/grubenv', '/boot/grub2/grubenv'];
const ENTRIES_DIR = '/boot/loader/entries';
/** menu items parsed from one grub.cfg */
const MAX_MENU_ITEMS = 1024;

export interface MenuItem {
  title: string;
  id?: string;
  linux?: string;
  /** a submenu's items */
  children?: MenuItem[];
}

/** grub.cfg's words on one line: quotes as the GRUB shell reads them (no expansion). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]!);
  return out;
}

/** grub.cfg: its top-level `set default=` values and its menu (submenus nested). */
export function parseGrubCfg(text: string): { defaults: string[]; menu: MenuItem[] } {
  const defaults: string[] = [];
  const menu: MenuItem[] = [];
  const stack: { item?: MenuItem; list: MenuItem[] }[] = [{ list: menu }];
  let count = 0;
  // braces of if/function blocks are not menu levels: track which opened a menu item
  const opened: boolean[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const w = words(line);
    const cmd = w[0];
    if ((cmd === 'menuentry' || cmd === 'submenu') && line.endsWith('{')) {
      const title = w[1] ?? '';
      const idAt = w.findIndex((x) => x === '--id' || x === '$menuentry_id_option');
      const item: MenuItem = { title, ...(idAt > 0 && w[idAt + 1] && w[idAt + 1] !== '{' ? { id: w[idAt + 1] } : {}) };
      if (cmd === 'submenu') item.children = [];
      if (++count <= MAX_MENU_ITEMS) stack[stack.length - 1]!.list.push(item);
      stack.push({ item, list: item.children ?? [] });
      opened.push(true);
      continue;
    }
    if (line.endsWith('{')) opened.push(false);
    if (line === '}' || line.startsWith('}')) {
      if (opened.pop()) stack.pop();
      continue;
    }
    const top = stack[stack.length - 1]!;
    if ((cmd === 'linux' || cmd === 'linuxefi' || cmd === 'linux16') && top.item && !top.item.linux && w[1]) top.item.linux = w[1];
    if (stack.length === 1 && cmd === 'set' && w[1]?.startsWith('default=')) {
      const m = /^set\s+default=(?:"([^"]*)"|'([^']*)'|(\S*))/.exec(line);
      const v = m?.[1] ?? m?.[2] ?? m?.[3] ?? '';
      if (v !== '' && !/^\$\{next_entry\}$/.test(v)) defaults.push(v);
    }
  }
  return { defaults, menu };
}

/** The menu item `spec` names: "N", "N>M", an id, a title, or "title>title". */
export function pickMenuItem(menu: MenuItem[], spec: string): MenuItem | undefined {
  let list = menu;
  let item: MenuItem | undefined;
  for (const part of spec.split('>')) {
    item = /^\d+$/.test(part) ? list[Number(part)] : list.find((x) => x.id === part || x.title === part);
    if (!item) return undefined;
    list = item.children ?? [];
  }
  // a submenu itself boots its first entry
  while (item?.children) item = item.children[0];
  return item;
}

/** grubenv's variables (a 1 KiB block of NAME=VALUE lines padded with '#'). */
export function parseGrubenv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !line.startsWith('#')) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

interface BlsEntry {
  id: string;
  title?: string;
  version?: string;
  linux?: string;
}

/** A BLS entry file's keys (title, version, linux). */
export function parseBlsEntry(id: string, text: string): BlsEntry {
  const e: BlsEntry = { id };
  for (const line of text.split('\n')) {
    const m = /^\s*(title|version|linux)\s+(.+?)\s*$/.exec(line);
    if (m && e[m[1] as 'title'] === undefined) e[m[1] as 'title' | 'version' | 'linux'] = m[2]!;
  }
  return e;
}

async function firstConfig(files: GuestFiles, paths: string[], warnings: string[]): Promise<{ path: string; text: string } | undefined> {
  for (const path of paths) {
    const text = await readConfig(files, path, warnings);
    if (text !== undefined) return { path, text };
  }
  return undefined;
}

async function blsEntries(files: GuestFiles, warnings: string[]): Promise<BlsEntry[]> {
  const out: BlsEntry[] = [];
  for (const name of (await listDir(files, ENTRIES_DIR)).filter((n) => n.endsWith('.conf')).slice(0, FILES_MAX)) {
    const text = await readConfig(files, `${ENTRIES_DIR}/${name}`, warnings, 64 * 1024);
    if (text !== undefined) out.push(parseBlsEntry(name.slice(0, -'.conf'.length), text));
  }
  // newest first, as grub's blscfg and systemd-boot order them
  return out.sort((a, b) => compareVersions(b.version ?? b.id, a.version ?? a.id));
}

/** A default given as a glob (loader.conf allows "fedora-*"). */
function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(s);
}

export async function defaultBootEntry(files: GuestFiles, warnings: string[]): Promise<BootEntry | undefined> {
  const envText = await firstConfig(files, GRUBENVS, warnings);
  const env = envText ? parseGrubenv(envText.text) : new Map<string, string>();
  const cfg = await firstConfig(files, GRUB_CFGS, warnings);
  const grub = cfg ? parseGrubCfg(cfg.text) : undefined;
  const usesBls = !cfg || /^\s*blscfg\b/m.test(cfg.text) || grub?.menu.length === 0;

  if (grub && grub.menu.length > 0) {
    // the last top-level `set default=` is the one in force (an if/else sets it on both arms)
    let spec = grub.defaults[grub.defaults.length - 1] ?? '0';
    if (/^\$\{saved_entry\}$/.test(spec)) spec = env.get('saved_entry') || '0';
    const item = pickMenuItem(grub.menu, spec) ?? pickMenuItem(grub.menu, '0');
    if (item) return { source: cfg!.path, title: item.title, ...(item.linux ? { linux: item.linux } : {}) };
  }
  if (!usesBls) return undefined;
  const entries = await blsEntries(files, warnings);
  if (entries.length === 0) return undefined;
  let wanted = env.get('saved_entry');
  if (!wanted) {
    const loader = await readConfig(files, '/boot/loader/loader.conf', warnings, 64 * 1024);
    wanted = loader ? /^\s*default\s+(\S+)/m.exec(loader)?.[1]?.replace(/\.conf$/, '') : undefined;
  }
  const e = (wanted ? entries.find((x) => x.id === wanted || globMatch(wanted, x.id)) : undefined) ?? entries[0]!;
  return { source: `${ENTRIES_DIR}/${e.id}.conf`, ...(e.title ? { title: e.title } : {}), ...(e.linux ? { linux: e.linux } : {}) };
}
