// Parsers of the network configuration formats: each returns the interfaces a file configures
// (name, DHCP or not, static addresses). Only these facts are taken: a NetworkManager keyfile's
// secrets (psk, password) are never read into the report.
import type { NetworkInterface } from '../types.js';

/** interfaces taken from one file, at most */
export const MAX_INTERFACES = 256;
/** addresses taken for one interface, at most */
export const MAX_ADDRESSES = 64;

function addAddress(i: NetworkInterface, a: string | undefined): void {
  const v = a?.trim();
  if (v && i.addresses.length < MAX_ADDRESSES && !i.addresses.includes(v)) i.addresses.push(v);
}

function take(list: NetworkInterface[], i: NetworkInterface): NetworkInterface {
  if (list.length < MAX_INTERFACES) list.push(i);
  return i;
}

/** ifupdown's /etc/network/interfaces: `iface NAME inet|inet6 METHOD` stanzas, `address` lines. */
export function parseIfupdown(text: string): NetworkInterface[] {
  const out: NetworkInterface[] = [];
  const byName = new Map<string, NetworkInterface>();
  let cur: NetworkInterface | undefined;
  let netmask: string | undefined;
  const closeStanza = (): void => {
    // "address 192.0.2.5" with a separate "netmask 255.255.255.0" stays as written, netmask added
    if (cur && netmask && cur.addresses.length > 0 && !cur.addresses[cur.addresses.length - 1]!.includes('/')) {
      cur.addresses[cur.addresses.length - 1] += ` netmask ${netmask}`;
    }
    netmask = undefined;
  };
  for (const raw of text.split('\n')) {
    const w = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (w[0] === '') continue;
    if (w[0] === 'iface' && w[1]) {
      closeStanza();
      const name = w[1];
      cur = byName.get(name);
      if (!cur) byName.set(name, (cur = take(out, { name, dhcp: false, addresses: [] })));
      if (w[3] === 'dhcp' || w[3] === 'auto') cur.dhcp = true;
    } else if (['auto', 'allow-hotplug', 'mapping', 'source', 'source-directory'].includes(w[0]!) || /^allow-/.test(w[0]!)) {
      closeStanza();
      cur = undefined;
    } else if (cur && w[0] === 'address') addAddress(cur, w[1]);
    else if (cur && w[0] === 'netmask') netmask = w[1];
  }
  closeStanza();
  return out;
}

/** INI sections as ordered key/value lists (keys may repeat, as systemd-networkd allows). */
export function parseIni(text: string): { section: string; entries: [string, string][] }[] {
  const out: { section: string; entries: [string, string][] }[] = [];
  let cur: { section: string; entries: [string, string][] } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.*)\]$/.exec(line);
    if (s) {
      out.push((cur = { section: s[1]!.trim(), entries: [] }));
      continue;
    }
    const eq = line.indexOf('=');
    if (cur && eq > 0 && cur.entries.length < 4096) cur.entries.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return out;
}

/** A NetworkManager keyfile: [connection] interface-name/id, [ipv4]/[ipv6] method and addressN. */
export function parseNmKeyfile(text: string): NetworkInterface[] {
  const ini = parseIni(text);
  const get = (section: string, key: string): string | undefined =>
    ini.find((s) => s.section === section)?.entries.find(([k]) => k === key)?.[1];
  const i: NetworkInterface = { dhcp: false, addresses: [] };
  const name = get('connection', 'interface-name') || get('connection', 'id');
  if (name) i.name = name;
  for (const family of ['ipv4', 'ipv6']) {
    const method = get(family, 'method');
    if (method === 'auto' || method === 'dhcp') i.dhcp = true;
    for (const [k, v] of ini.find((s) => s.section === family)?.entries ?? []) {
      // address1=192.0.2.5/24,192.0.2.1 (the gateway after the comma); addresses=a;b; (old form)
      if (/^address(es)?\d*$/.test(k)) for (const a of v.split(';')) addAddress(i, a.split(',')[0]);
    }
  }
  return [named(i)];
}

/** The interface with its name first (JSON and XML read the same whichever line named it). */
function named(i: NetworkInterface): NetworkInterface {
  return { ...(i.name !== undefined ? { name: i.name } : {}), dhcp: i.dhcp, addresses: i.addresses };
}

/** A systemd-networkd .network file: [Match] Name=, [Network] DHCP= and Address=, [Address] Address=. */
export function parseNetworkd(text: string): NetworkInterface[] {
  const i: NetworkInterface = { dhcp: false, addresses: [] };
  for (const s of parseIni(text)) {
    for (const [k, v] of s.entries) {
      if (s.section === 'Match' && k === 'Name' && !i.name && v) i.name = v;
      if (s.section === 'Network' && k === 'DHCP' && /^(yes|true|1|on|ipv4|ipv6)$/i.test(v)) i.dhcp = true;
      if ((s.section === 'Network' || s.section === 'Address') && k === 'Address') for (const a of v.split(/\s+/)) addAddress(i, a);
    }
  }
  return [named(i)];
}

// netplan: YAML, read as far as netplan's own shape needs (network: → ethernets/bonds/bridges/
// vlans/wifis: → NAME: → dhcp4/dhcp6/addresses), by indentation. Anchors, flow mappings and
// multi-document files are beyond it: such a file gives what its plain lines say.
const NETPLAN_KINDS = new Set(['ethernets', 'bonds', 'bridges', 'vlans', 'wifis', 'tunnels', 'vrfs', 'modems']);

function yamlScalar(s: string): string {
  const v = s.replace(/\s+#.*$/, '').trim();
  const q = /^(['"])(.*)\1$/.exec(v);
  return q ? q[2]! : v;
}

export function parseNetplan(text: string): NetworkInterface[] {
  const out: NetworkInterface[] = [];
  // the keys above the current line, by indentation
  const path: { indent: number; key: string }[] = [];
  let cur: NetworkInterface | undefined;
  let inAddresses = -1;
  for (const raw of text.split('\n')) {
    if (/^\s*(#|$)/.test(raw)) continue;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (inAddresses >= 0 && indent > inAddresses && line.startsWith('-')) {
      // "- 192.0.2.5/24" or "- 192.0.2.5/24: {lifetime: 0}"
      if (cur) addAddress(cur, yamlScalar(line.slice(1)).replace(/:\s*\{.*$|:$/, ''));
      continue;
    }
    inAddresses = -1;
    const m = /^(-\s+)?("[^"]*"|'[^']*'|[^:]+?)\s*:(?:\s+(.*))?$/.exec(line);
    if (!m) continue;
    while (path.length && path[path.length - 1]!.indent >= indent) path.pop();
    const key = yamlScalar(m[2]!);
    const value = m[3] === undefined ? undefined : yamlScalar(m[3]);
    path.push({ indent, key });
    const keys = path.map((p) => p.key);
    if (keys.length === 3 && keys[0] === 'network' && NETPLAN_KINDS.has(keys[1]!)) {
      cur = take(out, { name: key, dhcp: false, addresses: [] });
    } else if (keys.length === 4 && keys[0] === 'network' && NETPLAN_KINDS.has(keys[1]!) && cur) {
      if ((key === 'dhcp4' || key === 'dhcp6') && /^(true|yes|on)$/i.test(value ?? '')) cur.dhcp = true;
      if (key === 'addresses') {
        if (value?.startsWith('[')) for (const a of value.replace(/^\[|\]$/g, '').split(',')) addAddress(cur, yamlScalar(a));
        else inAddresses = indent;
      }
    }
  }
  return out;
}
