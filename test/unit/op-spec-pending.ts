// The records not yet given libguestfs's tests or a reason (issue 16, in progress): one line per
// record file, a blank line between, so the helpers that translate each file merge cleanly. A
// name leaves this list in the commit that gives its record a `from: 'libguestfs'` test or a
// `guestfishDiffers` reason.
export const NOT_YET_TRANSLATED: Readonly<Record<string, readonly string[]>> = {};
