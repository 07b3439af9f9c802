// qemu's image locks: qemu-img, qemu-nbd and qemu-storage-daemon take OFD locks on the image
// file (block/file-posix.c) and refuse an image another process holds with "Failed to get
// "write" lock" / "Failed to get shared "write" lock" (and the hint "Is another process using
// the image [X]?"). Whichever qemu program said it, joot reports the same thing: EBUSY, "in use
// by another process". The decision is made here only.
import { JootError, type ErrorFacts } from '../core/errors.js';

/**
 * Does this line of a qemu program's stderr say another process holds the image? qemu's own
 * words, not just "lock": the line names the image, whose path may well contain "lock"
 * (/srv/blocks/…).
 */
export function saysImageLocked(line: string): boolean {
  return /Failed to (?:get (?:shared )?"[^"]*" lock|(?:un)?lock byte)|another process using the image/i.test(line);
}

/** `GIVEN: in use by another process (WHY)`: what joot says of an image a qemu process holds. */
export function heldByQemu(given: string, why: string, facts?: ErrorFacts): JootError {
  return new JootError('EBUSY', `${given}: in use by another process (${why})`, facts);
}

/** heldByQemu when `detail`, a line of a qemu program's stderr, is its lock refusal; else undefined. */
export function imageInUse(given: string, detail: string, facts?: ErrorFacts): JootError | undefined {
  return saysImageLocked(detail) ? heldByQemu(given, detail, facts) : undefined;
}
