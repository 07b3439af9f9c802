// virt-inspector's XML, for people switching over: same elements, same order, empty
// elements and "unknown" values left out (as virt-inspector does).
import type { Application, InspectionReport, OperatingSystem } from './types.js';
import { sectionsXml } from './xml-sections.js';

// Characters XML 1.0 cannot carry at all, not even as references (C0 controls but tab, LF,
// CR; U+FFFE, U+FFFF; lone surrogates): guest strings are data, so they become U+FFFD.
const NOT_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// Controls XML can carry, written as references rather than raw (tab, LF, CR, DEL, C1): the
// same document to a parser, and nothing a terminal would obey.
const AS_REFERENCE = /[\t\n\r\x7f-\x9f]/g;

function esc(s: string): string {
  return s
    .replace(NOT_XML, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(AS_REFERENCE, (c) => `&#x${c.charCodeAt(0).toString(16)};`);
}

function el(indent: string, name: string, value: string | number | undefined): string {
  if (value === undefined || value === '') return '';
  return `${indent}<${name}>${esc(String(value))}</${name}>\n`;
}

const OS_FIELDS = [
  'name',
  'arch',
  'distro',
  'product_name',
  'product_variant',
  'major_version',
  'minor_version',
  'build_id',
  'windows_systemroot',
  'windows_current_control_set',
  'package_format',
  'package_management',
  'hostname',
  'osinfo',
] as const;

const APP_FIELDS = [
  'name',
  'display_name',
  'epoch',
  'version',
  'release',
  'arch',
  'install_path',
  'publisher',
  'url',
  'source_package',
  'summary',
  'description',
] as const;

function application(a: Application): string {
  let out = '      <application>\n';
  for (const f of APP_FIELDS) {
    const v = a[f];
    // epoch 0 is "no epoch": virt-inspector omits it
    if (f === 'epoch' && v === 0) continue;
    out += el('        ', f, v as string | number | undefined);
  }
  return `${out}      </application>\n`;
}

function operatingSystem(os: OperatingSystem): string {
  let out = '  <operatingsystem>\n';
  out += el('    ', 'root', os.root);
  for (const f of OS_FIELDS) {
    const v = os[f] as string | number | undefined;
    // virt-inspector leaves out every string field that says "unknown" (distro, osinfo, …)
    if (v === 'unknown') continue;
    out += el('    ', f, v);
  }
  const mps = Object.entries(os.mountpoints);
  if (mps.length) {
    out += '    <mountpoints>\n';
    for (const [mp, dev] of mps) out += `      <mountpoint dev="${esc(dev)}">${esc(mp)}</mountpoint>\n`;
    out += '    </mountpoints>\n';
  }
  if (os.filesystems.length) {
    out += '    <filesystems>\n';
    for (const fs of os.filesystems) {
      out += `      <filesystem dev="${esc(fs.device)}">\n`;
      out += el('        ', 'type', fs.type) + el('        ', 'label', fs.label) + el('        ', 'uuid', fs.uuid);
      out += '      </filesystem>\n';
    }
    out += '    </filesystems>\n';
  }
  const maps = Object.entries(os.drive_mappings ?? {});
  if (maps.length) {
    out += '    <drive_mappings>\n';
    for (const [letter, dev] of maps) out += `      <drive_mapping name="${esc(letter)}">${esc(dev)}</drive_mapping>\n`;
    out += '    </drive_mappings>\n';
  }
  if (os.applications?.length) {
    out += '    <applications>\n';
    for (const a of os.applications) out += application(a);
    out += '    </applications>\n';
  }
  out += sectionsXml(os, esc);
  return `${out}  </operatingsystem>\n`;
}

export function toXml(report: InspectionReport): string {
  return `<?xml version="1.0"?>\n<operatingsystems>\n${report.operatingsystems.map(operatingSystem).join('')}</operatingsystems>\n`;
}
