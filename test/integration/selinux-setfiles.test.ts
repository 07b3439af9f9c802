// setfiles / selinux-relabel (src/ops/selinux/relabel.ts) against the host's own setfiles(8),
// run as libguestfs runs it (-r ROOT -m -C, excluding /dev /proc /selinux /sys): two identical
// host trees, one labelled by each, must end with the same security.selinux on every node.
// And a hostile tree: guest symbolic links to a host canary are labelled themselves, never
// followed, there and through jfish on a real disk. Needs root (security.* attributes) and the
// host's setfiles (policycoreutils).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mountedGuestFiles } from '../../src/appliance/guest-files.js';
import { setfiles } from '../../src/ops/selinux/relabel.js';
import { REPO_ROOT } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const root = process.getuid?.() === 0;
const hasSetfiles = spawnSync('sh', ['-c', 'command -v setfiles']).status === 0;
const work = mkdtempSync(join(tmpdir(), 'setfiles-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SPEC = '/etc/selinux/targeted/contexts/files/file_contexts';
const FC = `/.*\t\tsystem_u:object_r:default_t:s0
/\t-d\tsystem_u:object_r:root_t:s0
/etc(/.*)?\t\tsystem_u:object_r:etc_t:s0
/etc/shadow.*\t--\tsystem_u:object_r:shadow_t:s0
/etc/link\t-l\tsystem_u:object_r:etc_link_t:s0
/home/[^/]+\t-d\tunconfined_u:object_r:user_home_dir_t:s0
/home/[^/]+/.+\t\tunconfined_u:object_r:user_home_t:s0
/usr/lib(64)?/[^/]*\\.so(\\.[^/]*)*\t--\tsystem_u:object_r:lib_t:s0
/var/log(/.*)?\t\tsystem_u:object_r:var_log_t:s0
/var/log/keep\t\t<<none>>
/var/run/.*\t-p\tsystem_u:object_r:var_run_t:s0
/dev(/.*)?\t\tsystem_u:object_r:device_t:s0
`;

function setLabel(p: string, ctx: string): void {
  execFileSync('setfattr', ['-h', '-n', 'security.selinux', '-v', ctx, p]);
}

/** A guest-shaped tree under `top`; `canary` is a host file outside it. */
function makeTree(top: string, canary: string): void {
  for (const d of [
    'etc/selinux/targeted/contexts/files',
    'home/alice/.ssh',
    'usr/lib64',
    'var/log',
    'var/run',
    'dev',
    'proc/1',
    'sys',
    'selinux',
    'weird dir\nname',
  ])
    mkdirSync(join(top, d), { recursive: true });
  writeFileSync(join(top, SPEC), FC);
  writeFileSync(join(top, `${SPEC}.local`), '/home/alice/\\.ssh(/.*)?\tunconfined_u:object_r:ssh_home_t:s0\n');
  for (const f of [
    'etc/passwd',
    'etc/shadow',
    'etc/shadow-',
    'home/alice/notes',
    'home/alice/.ssh/authorized_keys',
    'usr/lib64/libc.so.6',
    'var/log/messages',
    'var/log/keep',
    'dev/sda',
    'proc/1/status',
    'weird dir\nname/f',
  ])
    writeFileSync(join(top, f), 'x');
  writeFileSync(Buffer.concat([Buffer.from(join(top, 'usr/')), Buffer.from([0xff, 0xfe]), Buffer.from('.so')]), 'x');
  execFileSync('mkfifo', [join(top, 'var/run/fifo')]);
  symlinkSync('/etc/passwd', join(top, 'etc/link'));
  // hostile: links out of the tree to a host file, absolute and relative
  symlinkSync(canary, join(top, 'etc/evil'));
  symlinkSync(`../../../../../../../../..${canary}`, join(top, 'home/alice/evil'));
  // labels already there: setfiles changes only their type (unless -F)
  setLabel(join(top, 'etc/passwd'), 'staff_u:staff_r:user_home_t:s0:c1');
  setLabel(join(top, 'var/log/keep'), 'system_u:object_r:keep_me_t:s0');
}

/** Every node's label, by path relative to the tree. */
function labels(top: string): Map<string, string> {
  // exit 1 when some node has no label: its stdout has the others
  const out = spawnSync('getfattr', ['-R', '-h', '-n', 'security.selinux', '-e', 'text', '--absolute-names', top], {
    encoding: 'latin1',
  }).stdout;
  const m = new Map<string, string>();
  let file = '';
  for (const line of out.split('\n')) {
    if (line.startsWith('# file: ')) file = line.slice(8).slice(top.length) || '/';
    else if (line.startsWith('security.selinux='))
      m.set(
        file,
        line
          .slice(17)
          .replace(/^"|"$/g, '')
          .replace(/\\000$/, ''),
      );
  }
  return m;
}

function hostSetfiles(top: string, force: boolean, path = '/'): void {
  const ex = ['/dev', '/proc', '/selinux', '/sys'].flatMap((d) => ['-e', join(top, d)]);
  execFileSync('setfiles', [...(force ? ['-F'] : []), ...ex, '-m', '-C', '-r', top, '-q', join(top, SPEC), join(top, path)]);
}

describe.skipIf(!root || !hasSetfiles)('setfiles: labels as the host setfiles sets them', () => {
  it('labels every node the same, never following a link to the host', async () => {
    const canary = join(work, 'canary');
    writeFileSync(canary, 'host file');
    setLabel(canary, 'system_u:object_r:canary_t:s0');
    const theirs = join(work, 'theirs');
    const mine = join(work, 'mine');
    makeTree(theirs, canary);
    makeTree(mine, canary);
    const reader = mountedGuestFiles(mine, { readonly: () => false }).reader;
    const warnings: string[] = [];
    const opts = { force: false, warn: (m: string) => warnings.push(m) };

    hostSetfiles(theirs, false);
    await setfiles(reader, SPEC, ['/'], opts);
    const want = labels(theirs);
    expect(want.get('/etc/passwd')).toBe('staff_u:staff_r:etc_t:s0:c1');
    expect(want.has('/dev/sda')).toBe(false);
    expect([...labels(mine)].sort()).toEqual([...want].sort());

    // a later spec for a labelled file: only the type changes; -F sets the whole context
    for (const top of [theirs, mine]) writeFileSync(join(top, `${SPEC}.local`), '/etc/passwd\t--\tsystem_u:object_r:passwd_file_t:s0\n');
    hostSetfiles(theirs, false, '/etc');
    await setfiles(reader, SPEC, ['/etc'], opts);
    expect(labels(mine).get('/etc/passwd')).toBe('staff_u:staff_r:passwd_file_t:s0:c1');
    expect([...labels(mine)].sort()).toEqual([...labels(theirs)].sort());
    hostSetfiles(theirs, true);
    await setfiles(reader, SPEC, ['/'], { ...opts, force: true });
    expect([...labels(mine)].sort()).toEqual([...labels(theirs)].sort());

    expect(labels(canary).get('/')).toBe('system_u:object_r:canary_t:s0');
    // the name that is not UTF-8 (its label is read by no getfattr argument), once per run
    expect(new Set(warnings)).toEqual(
      new Set(['/usr/\ufffd\ufffd.so: the current label cannot be read (the name is not valid UTF-8): set from the spec']),
    );
  });
});

describe.skipIf(!root)('selinux-relabel through jfish on a disk', () => {
  it('labels a guest link to a host file, never the host file', async () => {
    const dir = join(work, 'jfish');
    mkdirSync(dir);
    const canary = join(dir, 'canary');
    writeFileSync(canary, 'host file');
    const before = await snapshot({ paths: [dir] });
    const script = [
      'mount /dev/sda1 /',
      'mkdir-p /etc/selinux/targeted/contexts/files',
      `write ${SPEC} "/.*\\tsystem_u:object_r:default_t:s0\\n/etc(/.*)?\\tsystem_u:object_r:etc_t:s0\\n"`,
      `ln-s ${canary} /etc/evil`,
      `ln-s ../../../../..${canary} /etc/evil2`,
      `selinux-relabel ${SPEC} /`,
      'llz /etc',
    ].join('\n');
    const out = execFileSync(join(REPO_ROOT, 'bin/jfish'), ['-N', `${join(dir, 'd.img')}=fs`], {
      cwd: dir,
      input: script,
      encoding: 'utf8',
      env: { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '' },
    });
    expect(out).toMatch(/ system_u:object_r:etc_t:s0 +\d+ .{12} evil -> /);
    expect(out).toMatch(/ system_u:object_r:etc_t:s0 +\d+ .{12} evil2 -> /);
    expect(labels(canary).size).toBe(0);
    await expectNoLeftovers(before);
  }, 120_000);
});
