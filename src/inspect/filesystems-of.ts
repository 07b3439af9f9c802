// The report's "filesystems" of one OS: the model's entries for the devices it mounts, by name.
import type { DeviceModel } from './fstab.js';
import type { FilesystemEntry } from './types.js';

export function filesystemsOf(model: DeviceModel, devices: string[]): FilesystemEntry[] {
  const wanted = new Set(devices);
  return model.filesystems
    .filter((f) => wanted.has(f.name))
    .map((f) => ({ device: f.name, type: f.type, label: f.label || undefined, uuid: f.uuid || undefined }))
    .sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
}
