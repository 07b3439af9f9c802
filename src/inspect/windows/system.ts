// Facts from the SYSTEM hive: the current control set (Select\Current), the hostname
// (<ControlSet>\Services\Tcpip\Parameters), and the raw MountedDevices entries for the drive
// letters (\DosDevices\C: and friends), as libguestfs reads them (check_windows_system_registry).
import type { Hive } from '../../hive/index.js';
import { dwordValue, stringValue } from './software.js';

export interface SystemFacts {
  /** ControlSet001 … */
  windows_current_control_set?: string;
  hostname?: string;
  /** drive letter (upper case) → the MountedDevices data */
  mounted: Map<string, Buffer>;
}

export function currentControlSet(system: Hive): string | undefined {
  const current = dwordValue(system.lookup('Select'), 'Current');
  if (current === undefined || current === 0 || current > 999) return undefined;
  return `ControlSet${String(current).padStart(3, '0')}`;
}

export function systemFacts(system: Hive): SystemFacts {
  const facts: SystemFacts = { mounted: new Map() };
  const ccs = currentControlSet(system);
  if (ccs) {
    facts.windows_current_control_set = ccs;
    const host = stringValue(system.lookup(`${ccs}\\Services\\Tcpip\\Parameters`), 'Hostname');
    if (host) facts.hostname = host;
  }
  const md = system.lookup('MountedDevices');
  for (const v of md?.values() ?? []) {
    const m = /^\\DosDevices\\([A-Za-z]):$/.exec(v.name);
    if (m) facts.mounted.set(m[1]!.toUpperCase(), v.data);
  }
  return facts;
}
