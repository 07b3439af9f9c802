// The report's "filesystems" of one OS: the model's entries for the devices it mounts, by name.
// A LUKS volume the guest mounts from but that was not opened (no key) is listed as what it is:
// type crypto_LUKS, its LUKS UUID.
import type { DeviceModel } from './fstab.js';
import type { FilesystemEntry } from './types.js';

export function filesystemsOf(model: DeviceModel, devices: string[]): FilesystemEntry[] {
  const wanted = new Set(devices);
  const fs: FilesystemEntry[] = model.filesystems
    .filter((f) => wanted.has(f.name))
    .map((f) => ({ device: f.name, type: f.type, label: f.label || undefined, uuid: f.uuid || undefined }));
  for (const v of model.luks ?? []) {
    if (wanted.has(v.device) && !fs.some((f) => f.device === v.device)) fs.push({ device: v.device, type: 'crypto_LUKS', uuid: v.uuid });
  }
  return fs.sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
}
