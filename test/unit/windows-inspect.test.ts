// The pure parts of Windows inspection and jwinreg: PE machines, MountedDevices blobs, SOFTWARE
// facts on hand-made hives (including the pre-Windows-10 CurrentVersion form), registry path
// mapping, and jfish's hivex-node-set-value data.
import { describe, expect, it } from 'vitest';
import { Hive, REG_BINARY, REG_DWORD } from '../../src/hive/index.js';
import { driveMappings, guidFromBlob, partitionOfBlob } from '../../src/inspect/windows/drive-mappings.js';
import { peArch, peMachine } from '../../src/inspect/windows/pe.js';
import { windowsToGuest } from '../../src/inspect/windows/paths.js';
import { softwareFacts, windowsApplications } from '../../src/inspect/windows/software.js';
import { currentControlSet, systemFacts } from '../../src/inspect/windows/system.js';
import { osinfoWindows } from '../../src/inspect/osinfo.js';
import { locate } from '../../src/tools/jwinreg/hive-map.js';
import { valueBytes } from '../../src/ops/records/hivex.js';

function pe(machine: number): Buffer {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  b.writeUInt16LE(machine, 0x84);
  return b;
}

describe('PE headers', () => {
  it('machine → virt-inspector arch', () => {
    expect(peArch(pe(0x8664))).toBe('x86_64');
    expect(peArch(pe(0x14c))).toBe('i386');
    expect(peArch(pe(0xaa64))).toBe('aarch64');
    expect(peArch(pe(0x1c4))).toBe('arm');
    expect(peArch(pe(0x1234))).toBeUndefined();
  });
  it('not PE, truncated, e_lfanew out of range: undefined, never a throw', () => {
    expect(peMachine(Buffer.from('MZ stub'))).toBeUndefined();
    const far = pe(0x8664);
    far.writeUInt32LE(0xfffffff0, 0x3c);
    expect(peMachine(far)).toBeUndefined();
    const noSig = pe(0x8664);
    noSig.write('XX', 0x80, 'latin1');
    expect(peMachine(noSig)).toBeUndefined();
    expect(peMachine(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('MountedDevices', () => {
  const parts = [
    { name: '/dev/sda1', start: 1048576, scheme: 'dos', uuid: '57313031-01' },
    { name: '/dev/sda2', start: 59768832, scheme: 'dos', uuid: '57313031-02' },
    { name: '/dev/sdb3', start: 26214400, scheme: 'gpt', uuid: '57313131-0000-4000-8000-000000000003' },
  ];
  const mbr = (sig: number, off: number) => {
    const b = Buffer.alloc(12);
    b.writeUInt32LE(sig, 0);
    b.writeBigUInt64LE(BigInt(off), 4);
    return b;
  };
  const gpt = Buffer.concat([Buffer.from('DMIO:ID:', 'latin1'), Buffer.from('3131315700000040800000000000000' + '3', 'hex')]);

  it('GUIDs are stored with their first three fields little-endian', () => {
    expect(guidFromBlob(gpt, 8)).toBe('57313131-0000-4000-8000-000000000003');
  });
  it('MBR: disk signature + byte offset; GPT: partition GUID; others: nothing', () => {
    expect(partitionOfBlob(mbr(0x57313031, 1048576), parts)).toBe('/dev/sda1');
    expect(partitionOfBlob(mbr(0x57313031, 59768832), parts)).toBe('/dev/sda2');
    expect(partitionOfBlob(mbr(0x57313031, 512), parts)).toBeUndefined();
    expect(partitionOfBlob(mbr(0x11111111, 1048576), parts)).toBeUndefined();
    expect(partitionOfBlob(gpt, parts)).toBe('/dev/sdb3');
    expect(partitionOfBlob(Buffer.from('\\??\\IDE#CdRom\0', 'utf16le'), parts)).toBeUndefined();
    const m = new Map([
      ['D', mbr(0x57313031, 59768832)],
      ['C', gpt],
      ['E', Buffer.alloc(3)],
    ]);
    expect(Object.entries(driveMappings(m, parts))).toEqual([
      ['C', '/dev/sdb3'],
      ['D', '/dev/sda2'],
    ]);
  });
});

describe('SOFTWARE and SYSTEM facts', () => {
  it('Windows 7: CurrentVersion "6.1", no major/minor dwords; Server 2022 by product name', () => {
    const h = Hive.create();
    const cv = h.createKey('Microsoft\\Windows NT\\CurrentVersion');
    cv.setString('ProductName', 'Windows 7 Professional');
    cv.setString('CurrentVersion', '6.1');
    cv.setString('CurrentBuildNumber', '7601');
    cv.setString('InstallationType', 'Client');
    const f = softwareFacts(h);
    expect(f).toEqual({
      product_name: 'Windows 7 Professional',
      product_variant: 'Client',
      major_version: 6,
      minor_version: 1,
      build_id: '7601',
    });
    expect(osinfoWindows(f.major_version, f.minor_version, f.build_id, f.product_variant, f.product_name)).toBe('win7');
    expect(osinfoWindows(10, 0, '20348', 'Server', 'Windows Server 2022 Datacenter')).toBe('win2k22');
    expect(osinfoWindows(10, 0, '17763', 'Server Core', 'Windows Server 2019 Standard')).toBe('win2k19');
    expect(osinfoWindows(10, 0, '22000', 'Client', 'Windows 10 Pro')).toBe('win11');
  });
  it('applications: native and WOW6432Node, sorted by key name, missing values left out', () => {
    const h = Hive.create();
    h.createKey('Microsoft\\Windows\\CurrentVersion\\Uninstall\\b-app').setString('DisplayName', 'B');
    const w = h.createKey('WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\A-app');
    w.setString('DisplayVersion', '1.0');
    w.setValue('Publisher', REG_BINARY, Buffer.from([1, 2])); // not a string: ignored
    expect(windowsApplications(h)).toEqual([
      { name: 'A-app', epoch: 0, version: '1.0', release: '' },
      { name: 'b-app', epoch: 0, version: '', release: '', display_name: 'B' },
    ]);
  });
  it('Select\\Current picks the control set, whose Tcpip hostname is reported', () => {
    const h = Hive.create();
    h.createKey('Select').setDword('Current', 2);
    h.createKey('ControlSet001\\Services\\Tcpip\\Parameters').setString('Hostname', 'one');
    h.createKey('ControlSet002\\Services\\Tcpip\\Parameters').setString('Hostname', 'two');
    h.createKey('MountedDevices').setValue('\\DosDevices\\c:', REG_BINARY, Buffer.alloc(12));
    expect(currentControlSet(h)).toBe('ControlSet002');
    const f = systemFacts(h);
    expect(f.hostname).toBe('two');
    expect([...f.mounted.keys()]).toEqual(['C']);
    const bad = Hive.create();
    bad.createKey('Select').setValue('Current', REG_DWORD, Buffer.alloc(4));
    expect(currentControlSet(bad)).toBeUndefined();
  });
});

describe('registry paths (jwinreg)', () => {
  it('maps as virt-win-reg does', () => {
    expect(locate('HKLM\\SOFTWARE\\Microsoft')).toEqual({
      hive: { kind: 'config', name: 'SOFTWARE' },
      prefix: 'HKEY_LOCAL_MACHINE\\SOFTWARE',
      key: 'Microsoft',
    });
    expect(locate('HKEY_LOCAL_MACHINE\\system')).toMatchObject({ hive: { kind: 'config', name: 'SYSTEM' }, key: '' });
    expect(locate('\\HKLM\\SAM\\SAM\\Domains').hive).toEqual({ kind: 'config', name: 'SAM' });
    expect(locate('HKLM\\SECURITY').hive).toEqual({ kind: 'config', name: 'SECURITY' });
    expect(locate('HKU\\.DEFAULT\\Control Panel')).toMatchObject({
      hive: { kind: 'config', name: 'DEFAULT' },
      prefix: 'HKEY_USERS\\.DEFAULT',
    });
    expect(locate('HKEY_USERS\\S-1-5-21-1-2-3-1001\\Software').hive).toEqual({ kind: 'sid', sid: 'S-1-5-21-1-2-3-1001' });
    expect(locate('HKU\\LocalSystem').hive).toEqual({ kind: 'sid', sid: 'S-1-5-18' });
    expect(locate('HKU\\alice\\Environment')).toMatchObject({
      hive: { kind: 'user', user: 'alice' },
      prefix: 'HKEY_USERS\\alice',
      key: 'Environment',
    });
    expect(() => locate('HKLM\\HARDWARE')).toThrow(/not a supported registry path/);
    expect(() => locate('HKCU\\Software')).toThrow(/HKEY_CURRENT_USER/);
    expect(() => locate('HKU\\..\\x')).toThrow(/not a supported/);
  });
  it('Windows paths → guest paths on the system volume', () => {
    expect(windowsToGuest('C:\\Users\\alice', '/Windows')).toBe('/Users/alice');
    expect(windowsToGuest('%SystemRoot%\\system32\\config\\systemprofile', '/WINNT')).toBe('/WINNT/system32/config/systemprofile');
    expect(windowsToGuest('%SystemDrive%\\Users\\bob', '/Windows')).toBe('/Users/bob');
  });
});

describe("hivex-node-set-value's data", () => {
  it('by type; hex: for raw bytes', () => {
    expect(valueBytes(1, 'hi')).toEqual(Buffer.from('hi\0', 'utf16le'));
    expect(valueBytes(4, '42')).toEqual(Buffer.from([42, 0, 0, 0]));
    expect(valueBytes(4, '0x10')).toEqual(Buffer.from([16, 0, 0, 0]));
    expect(valueBytes(5, '1')).toEqual(Buffer.from([0, 0, 0, 1]));
    expect(valueBytes(11, '1')).toEqual(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
    expect(valueBytes(7, 'a\nb')).toEqual(Buffer.from('a\0b\0\0', 'utf16le'));
    expect(valueBytes(3, 'hex:01,02,ff')).toEqual(Buffer.from([1, 2, 255]));
    expect(valueBytes(3, 'AB')).toEqual(Buffer.from('AB', 'latin1'));
    expect(() => valueBytes(4, '4294967296')).toThrow(/32 bits/);
    expect(() => valueBytes(4, 'x')).toThrow(/not a number/);
    expect(() => valueBytes(3, 'hex:0g')).toThrow(/not hex/);
  });
});
