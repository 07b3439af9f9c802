// A new private mount namespace starts as a copy of the one it was made from, with every mount
// in it: other joot sessions' mounts too (a program that uses joot's library in the host's
// namespace, a test runner). A copy keeps its filesystem active after that session unmounts
// it: mounting the device again with other flags (read-only after read-write) then fails
// "already mounted", its loop device is only marked to clear itself, e2fsck refuses it. So a
// joot process that starts in a fresh namespace (whoever made it sets JOOT_NS_FRESH) first
// drops the copies of session mounts it inherited; a lazy unmount takes the tree below along.
import { mounts, type MountEntry } from '../core/mountinfo.js';
import { run } from '../core/run.js';

/** The prefix of a session's temp directory (under which all its mounts live). */
export const SESSION_DIR_PREFIX = 'session-';
/** mkdtemp adds six characters */
const SESSION_DIR = new RegExp(`/${SESSION_DIR_PREFIX}[^/]{6}(/|$)`);

/** The top-most mounts of joot sessions among `entries` (those below go with them). */
export function sessionMountRoots(entries: readonly MountEntry[]): string[] {
  const roots: string[] = [];
  for (const { mountpoint } of entries) {
    if (!SESSION_DIR.test(mountpoint)) continue;
    if (roots.some((r) => mountpoint === r || mountpoint.startsWith(`${r}/`))) continue;
    roots.push(mountpoint);
  }
  return roots;
}

/** In a fresh private namespace: unmount the session mounts copied into it. */
export async function dropInheritedSessionMounts(): Promise<void> {
  if (process.env.JOOT_NS_FRESH !== '1') return;
  delete process.env.JOOT_NS_FRESH; // for this process alone: its children share its namespace
  const roots = sessionMountRoots(await mounts());
  if (roots.length) await run('umount', ['-l', '--', ...roots], { allowFailure: true });
}
