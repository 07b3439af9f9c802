// guestfish's setfiles / selinux-relabel: label a guest tree from the guest's own file_contexts,
// as libguestfs runs setfiles(8) over the sysroot (-r ROOT, -m, -C, excluding /dev /proc
// /selinux /sys): every node under each path, walked with lstat from the guest root, never
// through a symbolic link (a link gets its own label), across the guest's mount points. A node
// with no label gets the spec's context; one with a label keeps its user, role and range and
// only changes type (setfiles' default), unless force: then it gets the whole context. The
// current labels are read in batches (getfattr), the new ones written in batches (setfattr).
import { JootError, errnoOf } from '../../core/errors.js';
import type { GuestFileReader } from '../../appliance/guest-files.js';
import { isDirNode, type GuestNode } from '../../appliance/guest-node.js';
import { GuestWalk } from '../../appliance/guest-walk.js';
import { FileContexts, NONE, parseSubs } from './file-contexts.js';
import { type LabelWrite, writeLabels } from './label-restore.js';

/** What libguestfs always excludes (prefixed with the sysroot): never labelled, never entered. */
const EXCLUDES = ['/dev', '/proc', '/selinux', '/sys'];
/** Spec files are text a few MiB long at most. */
const MAX_SPEC_BYTES = 32 * 1024 * 1024;
/** Nodes whose labels are read and written together. */
const BATCH = 1000;
const ATTR = 'security.selinux';

async function readOptional(reader: GuestFileReader, p: string): Promise<string | undefined> {
  try {
    return (await reader.readFile(p, { maxBytes: MAX_SPEC_BYTES })).toString('latin1');
  } catch (e) {
    if (e instanceof JootError && e.code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The guest's spec file SPECFILE with SPECFILE.homedirs and .local, and the .subs files. */
export async function loadFileContexts(reader: GuestFileReader, specfile: string): Promise<FileContexts> {
  const base = (await reader.readFile(specfile, { maxBytes: MAX_SPEC_BYTES })).toString('latin1');
  const files = [{ name: specfile, text: base }];
  for (const suffix of ['.homedirs', '.local']) {
    const text = await readOptional(reader, specfile + suffix);
    if (text !== undefined) files.push({ name: specfile + suffix, text });
  }
  const subs = await readOptional(reader, `${specfile}.subs`);
  const dist = await readOptional(reader, `${specfile}.subs_dist`);
  return new FileContexts(
    files,
    subs === undefined ? [] : parseSubs(subs, `${specfile}.subs`),
    dist === undefined ? [] : parseSubs(dist, `${specfile}.subs_dist`),
  );
}

/** `user:role:type[:range]` → its type field, or undefined when it has no such shape. */
function typeOf(context: string): string | undefined {
  const f = context.split(':');
  return f.length >= 3 && f[0] && f[1] && f[2] ? f[2] : undefined;
}

/** The label to write, or undefined to leave the node as it is (setfiles' rules, see above). */
export function newLabel(current: string | undefined, spec: string, force: boolean): string | undefined {
  if (current === spec) return undefined;
  if (force || current === undefined) return spec;
  const curType = typeOf(current);
  const specType = typeOf(spec);
  if (curType === undefined || specType === undefined) return spec; // unreadable: replaced whole
  if (curType === specType) return undefined;
  const f = current.split(':');
  f[2] = specType;
  return f.join(':');
}

const utf8 = (b: Buffer): boolean => Buffer.from(b.toString('utf8'), 'utf8').equals(b);

const excluded = (key: string): boolean => EXCLUDES.some((x) => key === x || key.startsWith(`${x}/`));

interface Item {
  node: GuestNode;
  /** the path the specs are matched against (latin1 bytes) */
  key: string;
  host: Buffer;
}

export interface SetfilesOptions {
  force: boolean;
  warn: (message: string) => void;
}

/** Label every node under each guest path; returns how many labels were written. */
export async function setfiles(
  reader: GuestFileReader,
  specfile: string,
  paths: readonly string[],
  opts: SetfilesOptions,
): Promise<number> {
  const fc = await loadFileContexts(reader, specfile);
  let written = 0;
  let pending: Item[] = [];
  const flush = async (): Promise<void> => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    // getfattr takes names as arguments, which cannot carry bytes that are not UTF-8
    const readable = batch.filter((i) => utf8(i.host));
    const got = await reader.attrs(
      readable.map((i) => i.node),
      opts.warn,
    );
    const attrs = new Map(readable.map((i, n) => [i, got[n]]));
    const writes: LabelWrite[] = [];
    for (const item of batch) {
      const spec = fc.lookup(item.key, item.node.stat.mode);
      if (!spec || spec.context === NONE) continue;
      if (!attrs.has(item))
        opts.warn(`${item.node.path}: the current label cannot be read (the name is not valid UTF-8): set from the spec`);
      const raw = attrs.get(item)?.get(ATTR);
      const current = raw === undefined ? undefined : raw.toString('latin1').replace(/\0+$/, '');
      const label = newLabel(current, spec.context, opts.force);
      if (label !== undefined) writes.push({ host: item.host, context: label, guest: item.node.path });
    }
    await writeLabels(writes, opts.warn);
    written += writes.length;
  };
  for (const p of paths) {
    const top = await reader.node(p, { followLast: false });
    const host = Buffer.from(await reader.resolve(p, { followLast: false }), 'utf8');
    const tree = new GuestWalk(reader);
    const stack: Item[] = [{ node: top, key: Buffer.from(top.path, 'utf8').toString('latin1'), host }];
    while (stack.length) {
      const item = stack.pop()!;
      if (excluded(item.key)) continue;
      pending.push(item);
      if (pending.length >= BATCH) await flush();
      if (!isDirNode(item.node.stat)) continue;
      let children;
      try {
        children = await tree.children(item.node);
      } catch (e) {
        // setfiles reports an unreadable directory (or a directory loop: not walked again) and goes on
        if (errnoOf(e) === 'ENOENT' || (e instanceof JootError && e.code === 'ENOENT')) continue;
        opts.warn(e instanceof Error ? e.message : String(e));
        continue;
      }
      for (let i = children.length - 1; i >= 0; i--) {
        const c = children[i]!;
        const name = c.name.toString('latin1');
        stack.push({
          node: c.node,
          key: item.key === '/' ? `/${name}` : `${item.key}/${name}`,
          host: Buffer.concat([item.host, Buffer.from('/'), c.name]),
        });
      }
    }
  }
  await flush();
  return written;
}
