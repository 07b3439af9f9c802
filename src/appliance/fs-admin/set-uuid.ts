// Changing the UUID (or volume serial) of an existing filesystem (guestfish set-uuid),
// with the format checked first.
import { JootError } from '../../core/errors.js';
import { hostHas } from './host-tools.js';
import { runTool, type Command } from './tool-error.js';
import { validateUuid } from './uuids.js';

/** The command that sets the uuid; EINVAL for a malformed one. */
export function setUuidCommand(device: string, type: string, uuid: string): Command {
  const v = validateUuid(type, uuid);
  switch (v.type) {
    case 'ext2':
    case 'ext3':
    case 'ext4':
      return { cmd: 'tune2fs', args: ['-U', v.uuid, device] };
    case 'xfs':
      return { cmd: 'xfs_admin', args: ['-U', v.uuid, device] };
    case 'btrfs':
      // -U rewrites the fsid in every metadata block (what old guest kernels understand;
      // -M's metadata_uuid needs 5.0+); -f answers its "are you sure" prompt
      return { cmd: 'btrfstune', args: ['-f', '-U', v.uuid, device] };
    case 'vfat':
      return { cmd: 'fatlabel', args: ['-i', device, v.uuid] };
    case 'ntfs':
      return { cmd: 'ntfslabel', args: [`--new-serial=${v.uuid}`, device] };
    case 'swap':
      return { cmd: 'swaplabel', args: ['-U', v.uuid, device] };
  }
}

export async function setUuid(device: string, type: string, uuid: string): Promise<void> {
  const c = setUuidCommand(device, type, uuid);
  if (!hostHas(c.cmd)) throw new JootError('EUNSUPPORTED', `cannot set ${type} uuids on this host (${c.cmd} is not installed)`);
  await runTool(c, device);
}

/** tune2fs -U clear | random | time (guestfish set-e2uuid's special values). */
export async function setExtUuidSpecial(device: string, how: 'clear' | 'random' | 'time'): Promise<void> {
  await runTool({ cmd: 'tune2fs', args: ['-U', how, device] }, device);
}
