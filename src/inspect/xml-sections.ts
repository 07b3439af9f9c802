// The optional sections (jinspect --with …) in the XML form: elements of their own after
// <applications>, which virt-inspector has no counterpart for. An asked-for section that found
// nothing is an empty element, so "none" and "not asked" stay apart.
import type { OperatingSystem } from './types.js';

type Esc = (s: string) => string;

function attrs(esc: Esc, a: Record<string, string | number | boolean | undefined>): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) if (v !== undefined && v !== false) out += ` ${k}="${esc(v === true ? 'yes' : String(v))}"`;
  return out;
}

function text(esc: Esc, indent: string, name: string, v: string | undefined): string {
  return v === undefined || v === '' ? '' : `${indent}<${name}>${esc(v)}</${name}>\n`;
}

export function sectionsXml(os: OperatingSystem, esc: Esc): string {
  let out = '';
  if (os.kernels) {
    out += '    <kernels>\n';
    for (const k of os.kernels)
      out += `      <kernel${attrs(esc, { version: k.version, modules: k.modules, default: k.default })}>${esc(k.vmlinuz ?? '')}</kernel>\n`;
    out += '    </kernels>\n';
  }
  if (os.default_boot_entry) {
    const e = os.default_boot_entry;
    out += `    <default_boot_entry${attrs(esc, { source: e.source })}>\n`;
    out += text(esc, '      ', 'title', e.title) + text(esc, '      ', 'linux', e.linux);
    out += '    </default_boot_entry>\n';
  }
  out += text(esc, '    ', 'init_system', os.init_system);
  if (os.users) {
    out += '    <users>\n';
    for (const u of os.users) {
      out += `      <user${attrs(esc, { name: u.name, uid: u.uid, gid: u.gid, rid: u.rid })}>\n`;
      out += text(esc, '        ', 'home', u.home) + text(esc, '        ', 'shell', u.shell);
      for (const g of u.groups ?? []) out += text(esc, '        ', 'group', g);
      out += '      </user>\n';
    }
    out += '    </users>\n';
  }
  if (os.network) {
    out += '    <network>\n';
    for (const c of os.network) {
      out += `      <config${attrs(esc, { file: c.file, kind: c.kind })}>\n`;
      for (const i of c.interfaces) {
        out += `        <interface${attrs(esc, { name: i.name, dhcp: i.dhcp })}>\n`;
        for (const a of i.addresses) out += text(esc, '          ', 'address', a);
        out += '        </interface>\n';
      }
      out += '      </config>\n';
    }
    out += '    </network>\n';
  }
  if (os.services) {
    out += '    <services>\n';
    for (const s of os.services) {
      out += `      <service${attrs(esc, { name: s.name })}>\n`;
      for (const w of s.wanted_by ?? []) out += text(esc, '        ', 'wanted_by', w);
      out += '      </service>\n';
    }
    out += '    </services>\n';
  }
  return out;
}
