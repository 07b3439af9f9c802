// The file_contexts lookup (src/ops/selinux): against the host's matchpathcon (libselinux, the
// code setfiles uses) on a hand-written spec shaped like a targeted policy's, and on hostile
// regexes, which must be refused or matched in bounded time.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FcRegex } from '../../src/ops/selinux/fc-regex.js';
import { FileContexts, parseSubs } from '../../src/ops/selinux/file-contexts.js';
import { newLabel } from '../../src/ops/selinux/relabel.js';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'fc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FC = `# a targeted-policy-shaped spec (hand-written)
/.*\t\t\t\tsystem_u:object_r:default_t:s0
/\t\t\t-d\tsystem_u:object_r:root_t:s0
/bin\t\t\t\tsystem_u:object_r:bin_t:s0
/usr/bin(/.*)?\t\t\tsystem_u:object_r:bin_t:s0
/usr/lib(64)?/[^/]*\\.so(\\.[^/]*)*\t--\tsystem_u:object_r:lib_t:s0
/usr/lib(64)?(/.*)?\t\tsystem_u:object_r:lib_t:s0
/usr/lib/systemd/system(/.*)?\tsystem_u:object_r:systemd_unit_file_t:s0
/usr/lib/systemd/system/[^/]*dbus.*\tsystem_u:object_r:dbusd_unit_file_t:s0
/etc(/.*)?\t\t\tsystem_u:object_r:etc_t:s0
/etc/shadow.*\t\t--\tsystem_u:object_r:shadow_t:s0
/etc/passwd[-+]?\t\t--\tsystem_u:object_r:passwd_file_t:s0
/etc/rc\\.d/init\\.d(/.*)?\tsystem_u:object_r:initrc_exec_t:s0
/etc/rc\\.d/init\\.d/functions\t--\tsystem_u:object_r:etc_t:s0
/dev(/.*)?\t\t\tsystem_u:object_r:device_t:s0
/dev/[shmxv]d[^/]*\t-b\tsystem_u:object_r:fixed_disk_device_t:s0
/dev/tty[0-9]*\t\t-c\tsystem_u:object_r:tty_device_t:s0
/dev/null\t\t-c\tsystem_u:object_r:null_device_t:s0
/home\t\t\t-d\tsystem_u:object_r:home_root_t:s0
/home/[^/]+\t\t-d\tunconfined_u:object_r:user_home_dir_t:s0
/home/[^/]+/.+\t\t\tunconfined_u:object_r:user_home_t:s0
/home/[^/]+/\\.ssh(/.*)?\t\tunconfined_u:object_r:ssh_home_t:s0
/var/log(/.*)?\t\t\tsystem_u:object_r:var_log_t:s0
/var/log/wtmp.*\t\t--\tsystem_u:object_r:wtmp_t:s0
/var/log/journal(/.*)?\t\tsystem_u:object_r:var_log_t:s0
/var/run/user/[0-9]+(/.*)?\tsystem_u:object_r:user_tmp_t:s0
/var/spool/cron/[[:alnum:]_-]+\t--\tsystem_u:object_r:user_cron_spool_t:s0
/tmp\t\t\t-d\tsystem_u:object_r:tmp_t:s0
/tmp/.*\t\t\t<<none>>
/srv/a{2,3}b?\t\t\tsystem_u:object_r:public_content_t:s0
/srv/(web|ftp)/pub(lic)?(/.*)?\tsystem_u:object_r:public_content_rw_t:s0
/opt/x\\+y\t\t\tsystem_u:object_r:usr_t:s0
`;

const LOCAL = '/etc/passwd\t--\tsystem_u:object_r:etc_t:s0\n/srv/custom(/.*)?\tsystem_u:object_r:httpd_sys_content_t:s0\n';

const MODES: Record<string, number> = {
  file: 0o100644,
  dir: 0o040755,
  lnk_file: 0o120777,
  chr_file: 0o020666,
  blk_file: 0o060660,
  fifo_file: 0o010644,
};

const CASES: [string, string][] = [
  ['/', 'dir'],
  ['/bin', 'lnk_file'],
  ['/usr/bin/ls', 'file'],
  ['/usr/bin', 'dir'],
  ['/usr/lib/libc.so.6', 'file'],
  ['/usr/lib64/libz.so', 'file'],
  ['/usr/lib64/libz.so', 'lnk_file'],
  ['/usr/lib/python3/x.py', 'file'],
  ['/usr/lib/systemd/system/sshd.service', 'file'],
  ['/usr/lib/systemd/system/dbus-broker.service', 'file'],
  ['/usr/lib/systemd/system', 'dir'],
  ['/etc', 'dir'],
  ['/etc/shadow', 'file'],
  ['/etc/shadow-', 'file'],
  ['/etc/shadow', 'lnk_file'],
  ['/etc/passwd', 'file'],
  ['/etc/passwd-', 'file'],
  ['/etc/passwd.bak', 'file'],
  ['/etc/rc.d/init.d/sshd', 'file'],
  ['/etc/rc.d/init.d/functions', 'file'],
  ['/etc/rcXd/init.d/sshd', 'file'],
  ['/dev/sda1', 'blk_file'],
  ['/dev/sda1', 'file'],
  ['/dev/tty12', 'chr_file'],
  ['/dev/null', 'chr_file'],
  ['/home', 'dir'],
  ['/home/alice', 'dir'],
  ['/home/alice', 'file'],
  ['/home/alice/notes.txt', 'file'],
  ['/home/alice/.ssh/authorized_keys', 'file'],
  ['/home/alice/.sshx', 'file'],
  ['/var/log/messages', 'file'],
  ['/var/log/wtmp', 'file'],
  ['/var/log/journal/abc/system.journal', 'file'],
  ['/var/run/user/1000/bus', 'fifo_file'],
  ['/var/run/user/x/bus', 'file'],
  ['/var/spool/cron/root', 'file'],
  ['/var/spool/cron/a.b', 'file'],
  ['/tmp', 'dir'],
  ['/tmp/x', 'file'],
  ['/srv/aa', 'file'],
  ['/srv/aaab', 'file'],
  ['/srv/aaaa', 'file'],
  ['/srv/web/public/index.html', 'file'],
  ['/srv/ftp/pub', 'dir'],
  ['/srv/custom/x', 'file'],
  ['/opt/x+y', 'file'],
  ['/opt/xxy', 'file'],
  ['/nowhere/at/all', 'file'],
];

function ours(): FileContexts {
  return new FileContexts([
    { name: 'fc', text: FC },
    { name: 'fc.local', text: LOCAL },
  ]);
}

describe('file_contexts lookup', () => {
  it.skipIf(!has('matchpathcon'))("gives matchpathcon's context for every case", () => {
    const spec = join(dir, 'file_contexts');
    writeFileSync(spec, FC);
    writeFileSync(`${spec}.local`, LOCAL);
    const fc = ours();
    for (const [p, type] of CASES) {
      const want = execFileSync('matchpathcon', ['-f', spec, '-m', type, p], { encoding: 'utf8' }).trim().split('\t')[1];
      const got = fc.lookup(p, MODES[type]!)?.context ?? '<<none>>';
      expect(`${p} (${type}): ${got}`).toBe(`${p} (${type}): ${want}`);
    }
  });

  it.skipIf(!has('matchpathcon'))('applies .subs then .subs_dist as matchpathcon does', () => {
    const text = '/.*\tsystem_u:object_r:default_t:s0\n/home(/.*)?\tsystem_u:object_r:home_t:s0\n/srv(/.*)?\tsystem_u:object_r:srv_t:s0\n';
    const subs = '/export/home /home\n/data /\n';
    const dist = '/export /srv\n';
    const spec = join(dir, 'subs_fc');
    writeFileSync(spec, text);
    writeFileSync(`${spec}.subs`, subs);
    writeFileSync(`${spec}.subs_dist`, dist);
    const fc = new FileContexts([{ name: 'fc', text }], parseSubs(subs, 'subs'), parseSubs(dist, 'subs_dist'));
    for (const p of ['/export/home/a', '/export/homes/a', '/data/home/x', '/data', '/export/x', '/export/home', '/home/b']) {
      const want = execFileSync('matchpathcon', ['-f', spec, p], { encoding: 'utf8' }).trim().split('\t')[1];
      expect(`${p}: ${fc.lookup(p, 0o100644)?.context}`).toBe(`${p}: ${want}`);
    }
  });

  it('refuses malformed lines, naming file and line', () => {
    expect(() => new FileContexts([{ name: 'fc', text: '/a -x system_u:object_r:a_t:s0\n' }])).toThrow(/fc:1: invalid file type/);
    expect(() => new FileContexts([{ name: 'fc', text: '\n/a b c d\n' }])).toThrow(/fc:2: expected/);
    expect(() => new FileContexts([{ name: 'fc', text: '/a notacontext\n' }])).toThrow(/fc:1: invalid context/);
  });
});

describe('file_contexts regexes are bounded', () => {
  it('matches a pathological pattern in linear time', () => {
    const re = FcRegex.compile('(a*)*(a|aa)*b', 't');
    const s = 'a'.repeat(4000);
    const t0 = performance.now();
    expect(re.matches(s)).toBe(false);
    expect(re.matches(`${s}b`)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('refuses back-references, look-arounds, huge counts and overlong patterns', () => {
    expect(() => FcRegex.compile('(a)\\1', 'fc:3')).toThrow(/fc:3: unsupported regular expression: the escape \\1/);
    expect(() => FcRegex.compile('(?=a)a', 'fc:1')).toThrow(/unsupported regular expression/);
    expect(() => FcRegex.compile('a{1000}', 'fc:1')).toThrow(/a count above/);
    expect(() => FcRegex.compile('/'.repeat(5000), 'fc:1')).toThrow(/longer than/);
    expect(() => FcRegex.compile('((a{200}){200}){200}', 'fc:1')).toThrow(/too large/);
    expect(() => FcRegex.compile('(a', 'fc:1')).toThrow(/unclosed group/);
    expect(() => FcRegex.compile('[a', 'fc:1')).toThrow(/unclosed/);
  });

  it('bounds a hostile spec file: the work per lookup, and the regexes held', () => {
    const slow = Array.from({ length: 300 }, (_, i) => `(.*){0,100}x${i}\tsystem_u:object_r:a_t:s0`).join('\n');
    const fc = new FileContexts([{ name: 'fc', text: slow }]);
    const t0 = performance.now();
    expect(() => fc.lookup(`/${'a'.repeat(4000)}`, 0o100644)).toThrow(/costs too much/);
    expect(performance.now() - t0).toBeLessThan(10_000);
    const big = Array.from({ length: 300 }, () => '(.{255}){30}\tsystem_u:object_r:a_t:s0').join('\n');
    expect(() => new FileContexts([{ name: 'fc', text: big }])).toThrow(
      /fc:\d+: the spec files' regular expressions are too large together/,
    );
  });

  it('matches on bytes', () => {
    const re = FcRegex.compile('/data/[^/]+', 't');
    expect(re.matches(Buffer.from([0x2f, ...Buffer.from('data/'), 0xff, 0xfe]).toString('latin1'))).toBe(true);
    expect(re.matches('/data/a/b')).toBe(false);
  });
});

describe("setfiles' label rules", () => {
  it('sets the spec on an unlabelled file, only the type on a labelled one, the whole with force', () => {
    const spec = 'system_u:object_r:etc_t:s0';
    expect(newLabel(undefined, spec, false)).toBe(spec);
    expect(newLabel('staff_u:staff_r:user_home_t:s0:c1', spec, false)).toBe('staff_u:staff_r:etc_t:s0:c1');
    expect(newLabel('staff_u:staff_r:etc_t:s0:c1', spec, false)).toBeUndefined();
    expect(newLabel('staff_u:staff_r:etc_t:s0:c1', spec, true)).toBe(spec);
    expect(newLabel(spec, spec, true)).toBeUndefined();
    expect(newLabel('garbage', spec, false)).toBe(spec);
  });
});
