// What the stages of one launched session share: the cleanup stack every held resource goes
// on, the session's record (what a reaper releases if the process dies), its temp directory
// and the sysroot under which the guest's filesystems are mounted. Made empty with the Session,
// filled by launch.
import { CleanupStack } from '../cleanup.js';
import type { SessionRecord } from '../registry.js';

export class Workspace {
  stack = new CleanupStack();
  record?: SessionRecord;
  /** the session's temp directory ('' before launch) */
  tmp = '';
  /** host directory the guest's / is mounted on ('' before launch) */
  sysroot = '';

  /** The record; only asked for once launch made it. */
  get launchedRecord(): SessionRecord {
    return this.record!;
  }
}
