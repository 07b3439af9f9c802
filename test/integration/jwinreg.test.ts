// jwinreg (virt-win-reg's job) and jfish's hivex-* commands on the phony Windows guests
// (test/fixtures/README.md: win10.raw, win11.raw). What joot writes is read back by Debian's
// hivexregedit --export from the hive file taken out of the image with jfish download.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, fixtures } from '../fixtures/index.js';
import { CAN_RUN_JINSPECT, WHY_NOT, Workdir, jinspect, reportOf, run, type RunResult } from './jinspect-helpers.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';
import { hivexExport } from '../unit/hive-tools.js';

const JWINREG = path.join(REPO_ROOT, 'bin', 'jwinreg');
const JFISH = path.join(REPO_ROOT, 'bin', 'jfish');
const BUILT = existsSync(path.join(REPO_ROOT, 'dist', 'bundle', 'jwinreg.mjs'));
const HIVEX = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v hivexregedit'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const SKIP = !CAN_RUN_JINSPECT
  ? WHY_NOT
  : !BUILT
    ? 'jwinreg is not built (npm run build)'
    : !HIVEX
      ? 'hivexregedit is not installed (apt-get install libwin-hivex-perl)'
      : '';
if (SKIP) console.log(`jwinreg.test.ts skipped: ${SKIP}`);

const wd = new Workdir('jwinreg');
let before: Snapshot | undefined;
const img: Record<string, string> = {};
let copies = 0;

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C', JOOT_RUN_DIR: wd.runDir, JOOT_CONFIG: '', XDG_RUNTIME_DIR: '', JFISH_PID: '', ...extra };
}
const jwinreg = (args: string[]): Promise<RunResult> => run(JWINREG, args, { env: env(), timeoutMs: 60_000 });
const jfish = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> =>
  run(JFISH, args, { env: env(extra), timeoutMs: 60_000 });

/** A writable copy of a fixture. */
function copyOf(name: string): string {
  const p = path.join(wd.dir, `copy${++copies}-${name}`);
  execFileSync('cp', ['--sparse=always', img[name]!, p]);
  return p;
}

/** A guest file taken out of an image with jfish download. */
async function download(image: string, dev: string, guestPath: string): Promise<string> {
  const out = path.join(wd.dir, `dl${++copies}-${path.basename(guestPath)}`);
  const r = await jfish(['--ro', '-a', image, 'run', ':', 'mount-ro', dev, '/', ':', 'download', guestPath, out]);
  expect(r.stderr).toBe('');
  return out;
}

const SOFTWARE = '/Windows/System32/config/SOFTWARE';
const SYSTEM = '/Windows/System32/config/SYSTEM';
const CV = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion';
const ALICE = 'S-1-5-21-1111111111-2222222222-3333333333-1001';

describe.skipIf(!!SKIP)('jwinreg and jfish hivex-*', () => {
  beforeAll(async () => {
    wd.setup();
    await fixtures('win10.raw', 'win11.raw', 'windows.raw', 'mbr.raw', 'sample.raw');
    for (const n of ['win10.raw', 'win11.raw', 'windows.raw', 'mbr.raw', 'sample.raw'] as const) img[n] = await wd.image(n);
    before = await snapshot({ paths: [wd.dir], runDir: wd.runDir });
  }, 300_000);

  afterEach(async () => {
    if (before) await expectNoLeftovers(before, { timeoutMs: 5000 });
  });

  afterAll(() => wd.teardown());

  describe('jwinreg: reading', () => {
    it('a key and its subtree as .reg sections', async () => {
      const r = await jwinreg([img['win10.raw']!, `${CV}\\ProfileList\\${ALICE}`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        `[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\${ALICE}]\n` +
          '"ProfileImagePath"=hex(2):43,00,3a,00,5c,00,55,00,73,00,65,00,72,00,73,00,5c,\\\n' +
          '  00,61,00,6c,00,69,00,63,00,65,00,00,00\n' +
          '"Flags"=dword:00000000\n\n',
      );
    });

    it('one value: strings as text, dwords in decimal, @ for the default value', async () => {
      const [build, major, product] = await Promise.all([
        jwinreg([img['win11.raw']!, CV, 'CurrentBuildNumber']),
        jwinreg([img['win10.raw']!, CV, 'currentmajorversionnumber']),
        jwinreg([img['win10.raw']!, 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion', 'ProductName']),
      ]);
      expect([build.stdout, major.stdout, product.stdout]).toEqual(['22631\n', '10\n', 'Windows 10 Pro\n']);
      const host = await jwinreg([img['win10.raw']!, 'HKLM\\SYSTEM\\ControlSet001\\Services\\Tcpip\\Parameters', 'Hostname']);
      expect(host.stdout).toBe('WIN10-PHONY\n');
      const dflt = await jwinreg([img['win10.raw']!, 'HKLM\\SYSTEM\\Select', '@']);
      expect(dflt.stderr).toBe('jwinreg: HKLM\\SYSTEM\\Select: no value @ (default)\n');
      expect(dflt.code).toBe(1);
    });

    it('HKU\\.DEFAULT, HKU\\<SID> through ProfileList, HKU\\<user name>', async () => {
      const d = await jwinreg([img['win10.raw']!, 'HKU\\.DEFAULT\\Control Panel\\International', 'LocaleName']);
      expect(d.stdout).toBe('en-US\n');
      const sid = await jwinreg([img['win11.raw']!, `HKEY_USERS\\${ALICE}\\Environment`]);
      expect(sid.stdout).toBe(`[HKEY_USERS\\${ALICE}\\Environment]\n"TEMP"="C:\\\\Users\\\\alice\\\\AppData\\\\Local\\\\Temp"\n\n`);
      const user = await jwinreg([img['win10.raw']!, 'HKU\\alice\\Control Panel\\Desktop', 'Wallpaper']);
      expect(user.stdout).toBe('C:\\Windows\\web\\wallpaper\\Windows\\img0.jpg\n');
    });

    it("--export writes regedit's .reg (UTF-8 by default, UTF-16LE with --utf16) that hivexregedit agrees with", async () => {
      const r = await jwinreg(['--export', img['win10.raw']!, 'HKLM\\SYSTEM\\Select']);
      expect(r.stdout).toBe(
        'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\r\n"Current"=dword:00000001\r\n"Default"=dword:00000001\r\n"Failed"=dword:00000000\r\n"LastKnownGood"=dword:00000002\r\n\r\n',
      );
      const u = await run('sh', ['-c', `"${JWINREG}" --export --utf16 "${img['win10.raw']!}" 'HKLM\\SYSTEM\\Select' | od -An -tx1 -N4`], {
        env: env(),
      });
      expect(u.stdout.trim()).toBe('ff fe 57 00');
      const hive = await download(img['win10.raw']!, '/dev/sda1', SYSTEM);
      const theirs = hivexExport(hive, '\\Select', 'HKEY_LOCAL_MACHINE\\SYSTEM');
      expect(theirs).toContain(
        '[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\n"Current"=dword:00000001\n"Default"=dword:00000001\n"Failed"=dword:00000000\n"LastKnownGood"=dword:00000002',
      );
    });

    it('bad input: one line, exit 1 (usage: 2)', async () => {
      const cases: [string[], RegExp, number][] = [
        [[img['mbr.raw']!, 'HKLM\\SOFTWARE'], /^jwinreg: no Windows operating system found in .*mbr\.raw\n$/, 1],
        [[img['win10.raw']!, 'HKLM\\SOFTWARE\\NoSuchKey'], /^jwinreg: HKLM\\SOFTWARE\\NoSuchKey: no such key\n$/, 1],
        [[img['win10.raw']!, 'HKLM\\BOGUS\\x'], /^jwinreg: HKLM\\BOGUS\\x: not a supported registry path .*\n$/, 1],
        [
          [img['win10.raw']!, 'HKCU\\Software'],
          /^jwinreg: HKCU\\Software: HKEY_CURRENT_USER exists only while someone is logged in.*\n$/,
          1,
        ],
        [[img['win10.raw']!, 'HKU\\bob\\Environment'], /^jwinreg: HKEY_USERS\\bob: no such user directory \(\/Users\/bob\)\n$/, 1],
        [[img['win10.raw']!, 'HKU\\S-1-5-21-9-9-9-500'], /^jwinreg: HKEY_USERS\\S-1-5-21-9-9-9-500: no such user profile .*\n$/, 1],
        [[img['windows.raw']!, 'HKLM\\SOFTWARE'], /^jwinreg: hive: truncated: 27 bytes, the base block alone is 4096\n$/, 1],
        [[img['win10.raw']!], /^jwinreg: no registry key given.*\n$/, 2],
        [['--merge', img['win10.raw']!], /^jwinreg: --merge needs a \.reg file\n$/, 2],
        [['--bogus'], /^jwinreg: unknown option --bogus.*\n$/, 2],
      ];
      for (const [args, re, code] of cases) {
        const r = await jwinreg(args);
        expect(r.stderr, args.join(' ')).toMatch(re);
        expect(r.code, args.join(' ')).toBe(code);
        expect(r.stdout).toBe('');
      }
    });
  });

  describe('jwinreg --merge', () => {
    it('applies a .reg to SYSTEM, SOFTWARE and a user hive; hivexregedit reads the result; no backup left', async () => {
      const image = copyOf('win10.raw');
      const reg = path.join(wd.dir, 'change.reg');
      writeFileSync(
        reg,
        [
          'Windows Registry Editor Version 5.00',
          '',
          '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Tcpip\\Parameters]',
          '"Hostname"="MERGED-HOST"',
          '',
          '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\viostor]',
          '"Start"=dword:00000000',
          '"Type"=dword:00000001',
          '"ImagePath"=hex(2):73,00,79,00,73,00,00,00',
          '',
          '[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\7-Zip]',
          '',
          '[HKEY_LOCAL_MACHINE\\SOFTWARE\\joot]',
          '@="default value"',
          '"Multi"=hex(7):61,00,00,00,62,00,00,00,00,00',
          '',
          '[HKEY_USERS\\alice\\Environment]',
          '"TEMP"=-',
          '"PATH"="C:\\\\bin"',
          '',
        ].join('\r\n'),
      );
      const r = await jwinreg(['--merge', image, reg]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);

      const sys = hivexExport(await download(image, '/dev/sda1', SYSTEM), '\\ControlSet001\\Services', 'HKEY_LOCAL_MACHINE\\SYSTEM');
      expect(sys).toContain(
        '[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\viostor]\n"ImagePath"=hex(2):73,00,79,00,73,00,00,00\n"Start"=dword:00000000\n"Type"=dword:00000001',
      );
      expect(sys).toContain(
        `"Hostname"=hex(1):${[...Buffer.from('MERGED-HOST\0', 'utf16le')].map((b) => b.toString(16).padStart(2, '0')).join(',')}`,
      );
      const sw = hivexExport(await download(image, '/dev/sda1', SOFTWARE), '\\');
      expect(sw).not.toContain('7-Zip');
      expect(sw).toContain('Mozilla Firefox 121.0');
      expect(sw).toContain('[HKEY_LOCAL_MACHINE\\SOFTWARE\\joot]\n@=hex(1):64,00,65,00,66,00');
      expect(sw).toContain('"Multi"=hex(7):61,00,00,00,62,00,00,00,00,00');
      const nt = hivexExport(await download(image, '/dev/sda1', '/Users/alice/NTUSER.DAT'), '\\Environment', `HKEY_USERS\\${ALICE}`);
      expect(nt).not.toContain('TEMP');
      expect(nt).toContain('"PATH"=hex(1):43,00,3a,00,5c,00,62,00,69,00,6e,00,00,00');

      // jinspect sees the change; no backup is left next to the hives
      const os = reportOf(await jinspect([image], { runDir: wd.runDir })).operatingsystems[0]!;
      expect(os.hostname).toBe('MERGED-HOST');
      expect(os.applications!.map((a) => a.name)).not.toContain('7-Zip');
      const ls = await jfish([
        '--ro',
        '-a',
        image,
        'run',
        ':',
        'mount-ro',
        '/dev/sda1',
        '/',
        ':',
        'ls',
        '/Windows/System32/config',
        ':',
        'ls',
        '/Users/alice',
      ]);
      expect(ls.stdout).toBe('DEFAULT\nSAM\nSECURITY\nSOFTWARE\nSYSTEM\nNTUSER.DAT\n');
    });

    it('a bad .reg changes nothing: the image bytes stay as they were', async () => {
      const image = copyOf('win11.raw');
      const sum = () => execFileSync('sha256sum', [image], { encoding: 'utf8' }).split(' ')[0];
      const s0 = sum();
      const reg = path.join(wd.dir, 'bad.reg');
      writeFileSync(
        reg,
        'Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\ok]\n"a"="b"\n\n[HKEY_CLASSES_ROOT\\.txt]\n@="txtfile"\n',
      );
      const r = await jwinreg(['--merge', image, reg]);
      expect(r.stderr).toMatch(/^jwinreg: .*bad\.reg line 6: HKEY_CLASSES_ROOT\\\.txt: not a supported registry path .*\n$/);
      expect(r.code).toBe(1);
      const missing = await jwinreg(['--merge', image, path.join(wd.dir, 'nope.reg')]);
      expect(missing.stderr).toMatch(/^jwinreg: .*nope\.reg: no such file\n$/);
      expect(sum()).toBe(s0);
    });

    it('an image another session holds is refused', async () => {
      const image = copyOf('win10.raw');
      // the server keeps its stdout: a file, not our pipe (which would stay open while it runs)
      const pidFile = path.join(wd.dir, 'listen.out');
      const l = await run('sh', ['-c', '"$0" --listen -a "$1" >"$2"', JFISH, image, pidFile], { env: env(), timeoutMs: 60_000 });
      expect(l.stderr).toBe('');
      const pid = /^JFISH_PID=(\d+); export JFISH_PID$/.exec(readFileSync(pidFile, 'utf8').trim())?.[1];
      expect(pid).toBeDefined();
      expect((await jfish(['--remote', 'run'], { JFISH_PID: pid! })).stderr).toBe('');
      try {
        const reg = path.join(wd.dir, 'busy.reg');
        writeFileSync(reg, 'Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\busy]\n');
        const r = await jwinreg(['--merge', image, reg]);
        expect(r.code).toBe(1);
        expect(r.stderr.split('\n')).toHaveLength(2);
        expect(r.stderr).toMatch(/^jwinreg: .*copy\d+-win10\.raw: in use by another joot session \(pid \d+, read-write\)\n$/);
      } finally {
        await jfish(['--remote', 'exit'], { JFISH_PID: pid ?? '' });
        for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 50));
      }
    });
  });

  describe('jfish hivex-* and inspect-get-windows-*', () => {
    it('inspect-get-windows-systemroot / -current-control-set / -drive-mappings', async () => {
      const r = await jfish([
        '--ro',
        '-a',
        img['win10.raw']!,
        'run',
        ':',
        'inspect-os',
        ':',
        'inspect-get-windows-systemroot',
        '/dev/sda1',
        ':',
        'inspect-get-windows-current-control-set',
        '/dev/sda1',
        ':',
        'inspect-get-drive-mappings',
        '/dev/sda1',
      ]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('/dev/sda1\n/Windows\nControlSet001\nC: /dev/sda1\nD: /dev/sda2\n');
      const l = await jfish([
        '--ro',
        '-a',
        img['sample.raw']!,
        'run',
        ':',
        'inspect-os',
        ':',
        'inspect-get-windows-systemroot',
        '/dev/sda2',
        ':',
        'inspect-get-drive-mappings',
        '/dev/sda2',
      ]);
      expect(l.stderr).toBe('jfish: inspect-get-windows-systemroot: /dev/sda2: not a Windows root: no systemroot\n');
    });

    it('walks a hive, edits it, commits; hivexregedit reads the result', async () => {
      const image = copyOf('win11.raw');
      const script = path.join(wd.dir, 'hivex.jfish');
      writeFileSync(
        script,
        [
          'run',
          'mount /dev/sda3 /',
          `hivex-open ${SYSTEM} write:true`,
          'hivex-root',
          'hivex-node-name 4128',
          'hivex-node-children 4128',
          'hivex-node-get-child 4128 select',
          'hivex-node-get-child 4128 nothing',
          '',
        ].join('\n'),
      );
      const r = await jfish(['-a', image, '-f', script]);
      expect(r.stderr).toBe('');
      const lines = r.stdout.split('\n');
      expect(lines.slice(0, 2)).toEqual(['4128', 'ROOT']);
      const children = [...r.stdout.matchAll(/hivex_node_h: (\d+)/g)].map((m) => Number(m[1]));
      expect(children).toHaveLength(4); // ControlSet001, ControlSet002, MountedDevices, Select
      const select = Number(lines[lines.length - 3]);
      expect(children).toContain(select);
      expect(lines[lines.length - 2]).toBe('0');

      writeFileSync(
        script,
        [
          'run',
          'mount /dev/sda3 /',
          `hivex-open ${SYSTEM} write:true`,
          `hivex-node-values ${select}`,
          `hivex-node-get-value ${select} current`,
          `hivex-node-parent ${select}`,
          `hivex-node-set-value ${select} Current 4 2`,
          `hivex-node-set-value ${select} Note 1 "set by jfish"`,
          `hivex-node-set-value ${select} Blob 3 hex:01,02,ff`,
          'hivex-commit',
          'hivex-close',
          `hivex-open ${SYSTEM}`,
          `hivex-node-get-value ${select} Note`,
          '',
        ].join('\n'),
      );
      const w = await jfish(['-a', image, '-f', script]);
      expect(w.stderr).toBe('');
      const handles = [...w.stdout.matchAll(/hivex_value_h: (\d+)/g)].map((m) => Number(m[1]));
      expect(handles).toHaveLength(4);
      const out = w.stdout.split('\n').filter((l) => /^\d+$/.test(l));
      expect(out[1]).toBe('4128'); // parent of Select is the root
      const note = Number(out[2]);

      writeFileSync(
        script,
        [
          'run',
          'mount-ro /dev/sda3 /',
          `hivex-open ${SYSTEM}`,
          `hivex-value-key ${note}`,
          `hivex-value-type ${note}`,
          `hivex-value-string ${note}`,
          `hivex-value-dword ${handles[0]}`,
          `hivex-value-key ${handles[0]}`,
          '',
        ].join('\n'),
      );
      const rd = await jfish(['--ro', '-a', image, '-f', script]);
      expect(rd.stderr).toBe('');
      expect(rd.stdout).toBe('Note\n1\nset by jfish\n2\nCurrent\n');

      const exp = hivexExport(await download(image, '/dev/sda3', SYSTEM), '\\Select', 'HKEY_LOCAL_MACHINE\\SYSTEM');
      expect(exp).toContain('"Blob"=hex(3):01,02,ff\n"Current"=dword:00000002\n"Default"=dword:00000001');
      expect(exp).toContain(
        `"Note"=hex(1):${[...Buffer.from('set by jfish\0', 'utf16le')].map((b) => b.toString(16).padStart(2, '0')).join(',')}`,
      );
    });

    it('adds and deletes keys, prints raw value data; hivexregedit reads the result', async () => {
      const image = copyOf('win11.raw');
      const script = path.join(wd.dir, 'hivex-keys.jfish');
      const rw = ['run', 'mount /dev/sda3 /', `hivex-open ${SYSTEM} write:true`];
      const ro = ['run', 'mount-ro /dev/sda3 /', `hivex-open ${SYSTEM}`];
      const runScript = async (lines: string[]): Promise<string[]> => {
        writeFileSync(script, [...lines, ''].join('\n'));
        const r = await jfish([...(lines[1] === ro[1] ? ['--ro'] : []), '-a', image, '-f', script]);
        expect(r.stderr).toBe('');
        return r.stdout.split('\n').filter(Boolean);
      };
      const root = 4128;
      const [keys, again] = (
        await runScript([...rw, `hivex-node-add-child ${root} JootKeys`, `hivex-node-get-child ${root} jootkeys`, 'hivex-commit'])
      ).map(Number);
      expect(keys).toBeGreaterThan(0);
      expect(again).toBe(keys);
      const [inner] = (await runScript([...rw, `hivex-node-add-child ${keys} Inner`, 'hivex-commit'])).map(Number);
      await runScript([...rw, `hivex-node-set-value ${inner} Raw 3 hex:00,41,ff,0a`, 'hivex-commit']);
      const exp = hivexExport(await download(image, '/dev/sda3', SYSTEM), '\\JootKeys', 'HKEY_LOCAL_MACHINE\\SYSTEM');
      expect(exp).toContain('[HKEY_LOCAL_MACHINE\\SYSTEM\\JootKeys\\Inner]\n"Raw"=hex(3):00,41,ff,0a');
      // the raw bytes, exactly as stored
      const [raw] = await runScript([...ro, `hivex-node-get-value ${inner} raw`]);
      const bytes = execFileSync(
        JFISH,
        ['--ro', '-a', image, 'run', ':', 'mount-ro', '/dev/sda3', '/', ':', 'hivex-open', SYSTEM, ':', 'hivex-value-value', raw!],
        { env: env() },
      );
      expect(bytes).toEqual(Buffer.from([0x00, 0x41, 0xff, 0x0a]));
      // a name that exists (any case), a bad name, the root
      const fail = async (...cmd: string[]) => {
        const r = await jfish(['-a', image, 'run', ':', 'mount', '/dev/sda3', '/', ':', 'hivex-open', SYSTEM, 'write:true', ':', ...cmd]);
        expect(r.code).toBe(1);
        return r.stderr;
      };
      expect(await fail('hivex-node-add-child', String(root), 'jootKEYS')).toBe(
        'jfish: hivex-node-add-child: jootKEYS: the key has a subkey of that name\n',
      );
      expect(await fail('hivex-node-add-child', String(root), 'a\\b')).toMatch(/not a key name/);
      expect(await fail('hivex-node-delete-child', String(root))).toMatch(/root key cannot be deleted/);
      // delete the key and everything below it
      await runScript([...rw, `hivex-node-delete-child ${keys}`, 'hivex-commit']);
      expect(await runScript([...ro, `hivex-node-get-child ${root} JootKeys`])).toEqual(['0']);
      expect(hivexExport(await download(image, '/dev/sda3', SYSTEM), '\\', 'HKEY_LOCAL_MACHINE\\SYSTEM')).not.toContain('JootKeys');
    });

    it('errors: no hive open, not opened for writing, bad handles, not a hive', async () => {
      const image = img['win10.raw']!;
      const one = async (cmds: string[]): Promise<string> => {
        const r = await jfish([
          '--ro',
          '-a',
          image,
          'run',
          ':',
          'mount-ro',
          '/dev/sda1',
          '/',
          ...cmds.flatMap((c) => [':', ...c.split(' ')]),
        ]);
        expect(r.code).toBe(1);
        return r.stderr;
      };
      expect(await one(['hivex-root'])).toBe('jfish: hivex-root: no hive is open: call hivex-open first\n');
      expect(await one([`hivex-open ${SYSTEM}`, 'hivex-node-set-value 4128 x 4 1'])).toBe(
        `jfish: hivex-node-set-value: ${SYSTEM}: the hive was not opened for writing (hivex-open ${SYSTEM} write:true)\n`,
      );
      expect(await one([`hivex-open ${SYSTEM}`, 'hivex-node-name 12345'])).toBe('jfish: hivex-node-name: 12345: not a node handle\n');
      expect(await one([`hivex-open ${SYSTEM}`, 'hivex-value-string 4128'])).toBe('jfish: hivex-value-string: 4128: not a value handle\n');
      expect(await one(['hivex-open /Windows/win.ini'])).toBe(
        'jfish: hivex-open: /Windows/win.ini: hive: truncated: 26 bytes, the base block alone is 4096\n',
      );
    });
  });
});
