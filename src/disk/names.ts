// Canonical guest names of whole disks and partitions, as the kernel names sd devices: drives
// /dev/sda, /dev/sdb… in the order they were added, partitions /dev/sda1… Both engines name
// devices through these, so their answers compare equal.

/** 0 → a, 25 → z, 26 → aa (as the kernel names sd devices) */
export function driveLetters(index: number): string {
  let s = '';
  let n = index + 1;
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(97 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

export function diskName(index: number): string {
  return `/dev/sd${driveLetters(index)}`;
}

export function partitionName(diskIndex: number, n: number): string {
  return `${diskName(diskIndex)}${n}`;
}
