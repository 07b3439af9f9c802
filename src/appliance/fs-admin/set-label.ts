// Changing the label of an existing filesystem (guestfish set-label), with the label rules
// checked first: the tools themselves truncate long labels without failing.
import { JootError } from '../../core/errors.js';
import { hostHas } from './host-tools.js';
import { validateRelabel } from './labels.js';
import { runTool, type Command } from './tool-error.js';

/** The command that sets (or, for '', clears) the label. Throws EINVAL/EUNSUPPORTED first. */
export function setLabelCommand(device: string, type: string, label: string): Command {
  const t = validateRelabel(type, label);
  switch (t) {
    case 'ext2':
    case 'ext3':
    case 'ext4':
      return { cmd: 'e2label', args: [device, label] };
    case 'xfs':
      // "--" is xfs_admin's way to say "no label"
      return { cmd: 'xfs_admin', args: ['-L', label === '' ? '--' : label, device] };
    case 'btrfs':
      return { cmd: 'btrfs', args: ['filesystem', 'label', device, label] };
    case 'vfat':
      return label === '' ? { cmd: 'fatlabel', args: ['-r', device] } : { cmd: 'fatlabel', args: [device, label] };
    case 'ntfs':
      return { cmd: 'ntfslabel', args: [device, label] };
    case 'swap':
      return { cmd: 'swaplabel', args: ['-L', label, device] };
  }
}

export async function setLabel(device: string, type: string, label: string): Promise<void> {
  const c = setLabelCommand(device, type, label);
  if (!hostHas(c.cmd)) throw new JootError('EUNSUPPORTED', `cannot set ${type} labels on this host (${c.cmd} is not installed)`);
  await runTool(c, device);
}
