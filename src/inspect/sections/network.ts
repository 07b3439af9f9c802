// --with network: the network configuration files found (ifupdown, NetworkManager keyfiles,
// netplan, systemd-networkd) and the interfaces each configures.
import type { GuestFiles, NetworkConfig, NetworkInterface } from '../types.js';
import { FILES_MAX, listDir, readConfig } from './bounded.js';
import { parseIfupdown, parseNetplan, parseNetworkd, parseNmKeyfile } from './network-parse.js';

/** a network file read, at most (they are small; a big one is not configuration) */
const NETWORK_FILE_MAX_BYTES = 1024 * 1024;

interface Source {
  kind: NetworkConfig['kind'];
  /** single files, then directories whose files (matching `match`) are read */
  files: string[];
  dirs: string[];
  match: RegExp;
  parse: (text: string) => NetworkInterface[];
}

const SOURCES: Source[] = [
  {
    kind: 'ifupdown',
    files: ['/etc/network/interfaces'],
    dirs: ['/etc/network/interfaces.d'],
    // run-parts' names: what ifupdown's "source-directory" reads
    match: /^[A-Za-z0-9_-]+$/,
    parse: parseIfupdown,
  },
  {
    kind: 'networkmanager',
    files: [],
    dirs: ['/etc/NetworkManager/system-connections'],
    match: /^[^.~][^~]*$/,
    parse: parseNmKeyfile,
  },
  { kind: 'netplan', files: [], dirs: ['/etc/netplan', '/lib/netplan'], match: /\.ya?ml$/, parse: parseNetplan },
  { kind: 'systemd-networkd', files: [], dirs: ['/etc/systemd/network'], match: /\.network$/, parse: parseNetworkd },
];

export async function networkSection(files: GuestFiles, warnings: string[]): Promise<NetworkConfig[]> {
  const out: NetworkConfig[] = [];
  for (const src of SOURCES) {
    const paths = [...src.files];
    for (const dir of src.dirs)
      for (const name of (await listDir(files, dir)).filter((n) => src.match.test(n)).slice(0, FILES_MAX)) paths.push(`${dir}/${name}`);
    for (const file of paths) {
      const text = await readConfig(files, file, warnings, NETWORK_FILE_MAX_BYTES);
      if (text === undefined) continue;
      out.push({ file, kind: src.kind, interfaces: src.parse(text) });
    }
  }
  return out;
}
