// A recursive walk over a guest tree by nodes (GuestFileReader.children), on either engine,
// bounded by a WalkGuard (walk-guard.ts): every directory is listed through here, so a
// directory loop or a second link to a directory ends the walk with a one-line error naming
// the path and its filesystem, and no walk goes deeper than PATH_MAX. One GuestWalk per walk.
import type { GuestChild, GuestFileReader, GuestNode } from './guest-files.js';
import { WalkGuard } from './walk-guard.js';

export class GuestWalk {
  private readonly guard: WalkGuard;

  constructor(private readonly reader: GuestFileReader) {
    this.guard = new WalkGuard((p) => reader.filesystemOf(p));
  }

  /** The directory's entries, as GuestFileReader.children gives them; refused (EFORMAT) when
   *  this walk listed the same directory before by another path, or it lies too deep. */
  async children(dir: GuestNode): Promise<GuestChild[]> {
    this.guard.checkDepth(dir.path);
    const entries = await this.reader.children(dir);
    return this.guard.enter(dir.path, dir.stat, entries.length) ? entries : [];
  }
}
