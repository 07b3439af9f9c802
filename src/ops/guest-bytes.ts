// For records' tests: jfish lines that make a guest file hold exact bytes. jfish words cannot
// carry a NUL and write encodes text as UTF-8, so the file is assembled by appending pieces:
// runs of printable-or-control ASCII with write, runs of one byte (zeros, high bytes) with fill.
// Small files only (ELF headers, tiny cpio archives): a line pair per piece.

type Line = readonly string[];

/** The lines that leave `path` holding exactly `bytes` (a scratch file `${path}.piece` is removed again). */
export function guestBytes(path: string, bytes: Uint8Array): Line[] {
  const piece = `${path}.piece`;
  const lines: Line[] = [['write', path, '']];
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let j = i + 1;
    if (b === 0 || b >= 0x80) {
      while (j < bytes.length && bytes[j] === b) j++;
      lines.push(['fill', String(b), String(j - i), piece]);
    } else {
      while (j < bytes.length && bytes[j]! > 0 && bytes[j]! < 0x80) j++;
      lines.push(['write', piece, Buffer.from(bytes.subarray(i, j)).toString('latin1')]);
    }
    lines.push(['copy-file-to-file', piece, path, 'append:true']);
    i = j;
  }
  lines.push(['rm-f', piece]);
  return lines;
}
