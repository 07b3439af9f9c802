// A guest directory tree, node by node, in the order `find DIR` lists it (a directory before
// its entries, entries in the directory's own order), for cpio-out and checksums-out. The top
// directory is resolved inside the guest (a link to it is followed there); below it every
// node comes from GuestFileReader.children, lstat'ed and never followed, so a guest link can
// never lead the walk out of the guest, on either engine. Only one directory listing per level
// is held at a time: the tree is never collected. A directory loop ends the walk with an error
// (GuestWalk).
import type { GuestFileReader, GuestNode } from '../../appliance/guest-files.js';
import { isDirNode } from '../../appliance/guest-files.js';
import { GuestWalk } from '../../appliance/guest-walk.js';
import { JootError } from '../../core/errors.js';

export interface WalkEntry {
  readonly node: GuestNode;
  /** the path below the top as `find` prints it after `cd DIR`: `.`, `./a`, `./a/b` (bytes as stored) */
  readonly rel: Buffer;
}

/** The guest directory `guestDir` itself, or a one-line error if it is missing or not a directory. */
export async function topDir(reader: GuestFileReader, guestDir: string): Promise<GuestNode> {
  const top = await reader.node(guestDir);
  if (!isDirNode(top.stat)) throw new JootError('EINVAL', `${guestDir}: Not a directory`);
  return top;
}

/** Every node of the tree below `top` (top first), as `find` lists it; `stopped()` ends it early. */
export async function* walkGuestTree(
  reader: GuestFileReader,
  top: GuestNode,
  stopped: () => boolean = () => false,
): AsyncGenerator<WalkEntry> {
  yield* walk(new GuestWalk(reader), top, Buffer.from('.'), stopped);
}

async function* walk(tree: GuestWalk, node: GuestNode, rel: Buffer, stopped: () => boolean): AsyncGenerator<WalkEntry> {
  if (stopped()) return;
  yield { node, rel };
  if (!isDirNode(node.stat)) return;
  for (const c of await tree.children(node)) {
    if (stopped()) return;
    yield* walk(tree, c.node, Buffer.concat([rel, Buffer.from('/'), c.name]), stopped);
  }
}

/** The guest path of a walked node, for messages: `DIR/a/b`. */
export function guestPathOf(guestDir: string, rel: Buffer): string {
  const top = guestDir.replace(/\/+$/, '') || '/';
  const tail = rel.toString('utf8').replace(/^\.\/?/, '');
  if (tail === '') return top;
  return `${top === '/' ? '' : top}/${tail}`;
}
