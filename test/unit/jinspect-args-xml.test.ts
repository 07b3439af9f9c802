import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/tools/jinspect/args.js';
import { toXml } from '../../src/inspect/xml.js';
import type { InspectionReport } from '../../src/inspect/types.js';

describe('jinspect arguments', () => {
  it('applies --format to the images after it, with or without -a', () => {
    const a = parseArgs([
      'x.img',
      '--format=qcow2',
      '-a',
      'y.qcow2',
      'z.qcow2',
      '--format',
      '--add=w.vmdk',
      '--no-applications',
      '--xml',
      '-v',
    ]);
    expect(a.drives).toEqual([
      { path: 'x.img', format: undefined },
      { path: 'y.qcow2', format: 'qcow2' },
      { path: 'z.qcow2', format: 'qcow2' },
      { path: 'w.vmdk', format: undefined },
    ]);
    expect([a.applications, a.xml, a.verbose]).toEqual([false, true, true]);
  });
  it('refuses unknown options and a missing value', () => {
    expect(() => parseArgs(['--bogus'])).toThrow(/unknown option --bogus/);
    expect(() => parseArgs(['-a'])).toThrow(/-a needs a value/);
  });
  it('--no-icon leaves the icon out; it is in by default', () => {
    expect(parseArgs(['a.img']).icon).toBe(true);
    expect(parseArgs(['a.img', '--no-icon']).icon).toBe(false);
  });

  it('takes everything after -- as images', () => {
    expect(parseArgs(['--', '-weird.img']).drives).toEqual([{ path: '-weird.img', format: undefined }]);
  });
});

describe('virt-inspector XML', () => {
  const report: InspectionReport = {
    operatingsystems: [
      {
        root: '/dev/sda2',
        name: 'linux',
        distro: 'debian',
        product_name: '12 <"&">',
        major_version: 12,
        minor_version: 0,
        mountpoints: { '/': '/dev/sda2', '/boot': '/dev/sda1' },
        filesystems: [{ device: '/dev/sda1', type: 'ext4', label: 'boot' }],
        applications: [
          { name: 'bash', epoch: 0, version: '5.2', release: '2', summary: 'shell' },
          { name: 'x', epoch: 1, version: '1', release: '' },
        ],
        warnings: [],
      },
    ],
  };
  it('writes virt-inspector elements, escapes text, omits empty ones', () => {
    const xml = toXml(report);
    expect(
      xml.startsWith(
        '<?xml version="1.0"?>\n<operatingsystems>\n  <operatingsystem>\n    <root>/dev/sda2</root>\n    <name>linux</name>\n',
      ),
    ).toBe(true);
    expect(xml).toContain('<product_name>12 &lt;&quot;&amp;&quot;&gt;</product_name>');
    expect(xml).toContain('<mountpoint dev="/dev/sda1">/boot</mountpoint>');
    expect(xml).toContain('<filesystem dev="/dev/sda1">\n        <type>ext4</type>\n        <label>boot</label>\n      </filesystem>');
    expect(xml).not.toContain('<epoch>0</epoch>');
    expect(xml).toContain('<epoch>1</epoch>');
    expect(xml).not.toContain('<release></release>');
    expect(xml).not.toContain('<uuid>');
  });
  it('writes the icon last, after the applications, as virt-inspector does', () => {
    const os = { ...report.operatingsystems[0]!, icon: 'iVBORw0KGgo=' };
    const xml = toXml({ operatingsystems: [os] });
    expect(xml).toContain('    </applications>\n    <icon>iVBORw0KGgo=</icon>\n  </operatingsystem>');
    expect(toXml(report)).not.toContain('<icon>');
  });
  it('leaves out "unknown" values and replaces characters XML cannot carry', () => {
    const xml = toXml({
      operatingsystems: [
        {
          root: '/dev/sda1',
          name: 'linux',
          distro: 'unknown',
          osinfo: 'unknown',
          product_name: 'evil\x1b[31m\x00name\ud800',
          major_version: 0,
          minor_version: 0,
          mountpoints: { '/': '/dev/sda1' },
          filesystems: [],
          warnings: [],
        },
      ],
    });
    expect(xml).not.toContain('<distro>');
    expect(xml).not.toContain('<osinfo>');
    expect(xml).toContain('<product_name>evil\ufffd[31m\ufffdname\ufffd</product_name>');
  });

  it('writes the controls XML can carry (tab, LF, CR, DEL, C1) as references, never raw', () => {
    const xml = toXml({
      operatingsystems: [
        {
          root: '/dev/sda1',
          name: 'linux',
          product_name: 'a\tb\nc\rd\x7fe\u009b2J',
          major_version: 0,
          minor_version: 0,
          mountpoints: { '/': '/dev/sda1' },
          filesystems: [],
          warnings: [],
        },
      ],
    });
    expect(xml).toContain('<product_name>a&#x9;b&#xa;c&#xd;d&#x7f;e&#x9b;2J</product_name>');
    expect(xml).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });
  it('libguestfs 1.58 elements: <windows_group_policy/> after the control set, <class> last in an application', () => {
    const xml = toXml({
      operatingsystems: [
        {
          root: '/dev/sda2',
          name: 'windows',
          major_version: 10,
          minor_version: 0,
          build_id: '26100',
          windows_systemroot: '/Windows',
          windows_current_control_set: 'ControlSet001',
          windows_group_policy: true,
          hostname: 'win',
          mountpoints: { '/': '/dev/sda2' },
          filesystems: [],
          applications: [{ name: 'Windows Defender', epoch: 0, version: '', release: '', summary: 's', class: 'antivirus' }],
          warnings: [],
        },
      ],
    });
    expect(xml).toContain(
      '<windows_current_control_set>ControlSet001</windows_current_control_set>\n    <windows_group_policy/>\n    <hostname>',
    );
    expect(xml).toContain('<summary>s</summary>\n        <class>antivirus</class>\n      </application>');
    expect(toXml(report)).not.toContain('windows_group_policy');
  });
});
