// The optional report sections (jinspect --with …) of a Linux root, read through the
// guest-rooted reader once the root's fstab mounts are in place. Only what is asked for runs.
import type { GuestFiles, OperatingSystem } from '../types.js';
import { initSystem } from './init-system.js';
import { kernelsSection } from './kernels.js';
import type { SectionName } from './names.js';
import { networkSection } from './network.js';
import { openrcServices, runitServices, systemdServices, sysvServices } from './services.js';
import { linuxUsers } from './users.js';

export { parseSections, SECTION_NAMES, type SectionName } from './names.js';
export { windowsSections } from './windows.js';

type Sections = Pick<OperatingSystem, 'kernels' | 'default_boot_entry' | 'init_system' | 'users' | 'network' | 'services'>;

export async function linuxSections(files: GuestFiles, want: ReadonlySet<SectionName>, warnings: string[]): Promise<Sections> {
  const out: Sections = {};
  if (want.has('kernels')) Object.assign(out, await kernelsSection(files, warnings));
  if (want.has('users')) out.users = await linuxUsers(files, warnings);
  if (want.has('network')) out.network = await networkSection(files, warnings);
  if (want.has('services')) {
    const init = await initSystem(files, warnings);
    if (init) out.init_system = init;
    out.services =
      init === 'openrc'
        ? await openrcServices(files)
        : init === 'sysvinit'
          ? await sysvServices(files, warnings)
          : init === 'runit'
            ? await runitServices(files)
            : await systemdServices(files);
  }
  return out;
}
