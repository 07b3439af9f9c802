// Antivirus software among a Windows guest's applications, as libguestfs 1.58 classifies it
// (the application's "class" field, virt-inspector's <class>): the heuristic libguestfs took
// over from virt-v2v — the application's name (the Uninstall key's name) contains "virus",
// "kaspersky", "mcafee", "norton" or "sophos", or its publisher contains "avg technologies"
// (RHBZ#1261436), all case-insensitive — plus Windows Defender, which a default install has
// without any Uninstall entry: the SOFTWARE hive's Microsoft\Windows Defender key, unless its
// DisableAntiSpyware dword is 1 (libguestfs RHEL-129145).
import type { Hive } from '../../hive/index.js';
import type { Application } from '../types.js';

export const ANTIVIRUS = 'antivirus';

const NAME_PATTERNS = /virus|kaspersky|mcafee|norton|sophos/i;
const PUBLISHER_PATTERNS = /avg technologies/i;

/** Whether an application is antivirus software by libguestfs's name/publisher heuristic. */
export function isAntivirus(app: Pick<Application, 'name' | 'publisher'>): boolean {
  return NAME_PATTERNS.test(app.name) || (app.publisher !== undefined && PUBLISHER_PATTERNS.test(app.publisher));
}

export const DEFENDER_KEY = 'Microsoft\\Windows Defender';

/** The application entry that stands for an enabled Windows Defender. */
export const DEFENDER_APP: Readonly<Application> = Object.freeze({
  name: 'Windows Defender',
  epoch: 0,
  version: '',
  release: '',
  display_name: 'Windows Defender',
  publisher: 'Microsoft Corporation',
  class: ANTIVIRUS,
});

/** Windows Defender is present and not turned off (DisableAntiSpyware = 1). */
export function defenderEnabled(software: Hive): boolean {
  const key = software.lookup(DEFENDER_KEY);
  if (!key) return false;
  const v = key.value('DisableAntiSpyware');
  // a dword, whatever type it was written with: the first four bytes, little-endian
  const disabled = v !== undefined && v.data.length >= 4 && v.data.readUInt32LE(0) === 1;
  return !disabled;
}

/** Mark antivirus applications (in place) and add Windows Defender when it is enabled and not
 *  already listed; keeps `apps` sorted by name. */
export function classifyAntivirus(apps: Application[], software: Hive): Application[] {
  for (const a of apps) if (isAntivirus(a)) a.class = ANTIVIRUS;
  if (!defenderEnabled(software)) return apps;
  const listed = apps.find((a) => a.name === DEFENDER_APP.name);
  if (listed) {
    listed.class = ANTIVIRUS;
  } else {
    apps.push({ ...DEFENDER_APP });
    apps.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  return apps;
}
