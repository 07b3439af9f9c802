// jfish's extended attribute, ACL and capability commands end to end:
// - a hostile guest: symlinks pointing at host files (absolute, relative, and one whose target
//   path also exists inside the guest) never let setxattr, removexattr, acl-set-file,
//   cap-set-file or acl-delete-def-file touch the host file; the guest's own file is the one
//   changed;
// - both engines read the same attributes, ACLs and capabilities (written on the kernel engine,
//   read back on it and on the userspace engine) on ext4, XFS and btrfs;
// - the text forms match the host's getcap and getfacl for the same binary attributes.
// Runs against the built code: `npm run build` first.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAcl, encodeAcl } from '../../src/ops/tar/xattrs.js';
import { aclText, parseAclText } from '../../src/ops/xattr/acl-text.js';
import { capsFromText, capsToText, decodeFileCaps, encodeFileCaps } from '../../src/ops/xattr/file-caps.js';
import { expectNoLeftovers, type Snapshot, snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const built = existsSync(join(repo, 'dist/bundle'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist/ is not built (run npm run build)' : !root ? 'needs root (loop devices, mounts, setcap)' : '';
if (skipReason) console.log(`skipping xattr command tests: ${skipReason}`);

let dir = '';
let before: Snapshot;

beforeAll(async () => {
  if (skipReason) return;
  dir = mkdtempSync(join(tmpdir(), 'joot-xattr-'));
  before = await snapshot({ paths: [dir] });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function jfish(img: string, script: string, opts: { ro?: boolean; engine?: 'kernel' | 'userspace' } = {}) {
  const file = join(dir, `script-${Math.random().toString(36).slice(2)}.jf`);
  writeFileSync(file, script);
  return execa(join(repo, 'bin/jfish'), [...(opts.ro ? ['--ro'] : []), '-a', img, '-m', '/dev/sda:/', '-f', file], {
    reject: false,
    input: '',
    timeout: 120_000,
    env: opts.engine ? { JOOT_ENGINE: opts.engine } : {},
  });
}

function mkfs(type: 'ext4' | 'xfs' | 'btrfs'): string {
  const img = join(dir, `${type}.img`);
  execFileSync('truncate', ['-s', type === 'xfs' ? '320M' : '160M', img]);
  if (type === 'ext4') execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', img]);
  else if (type === 'xfs') execFileSync('mkfs.xfs', ['-q', '-f', img]);
  else execFileSync('mkfs.btrfs', ['-q', '-f', img]);
  return img;
}

/** Every attribute of a host file, as getfattr dumps them (links not followed). */
const hostAttrs = (p: string) =>
  execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', p], { encoding: 'utf8' });

describe.skipIf(skipReason !== '')('a guest symlink never leads an attribute write to the host', () => {
  it('setxattr, removexattr, acl-set-file, cap-set-file and acl-delete-def-file stay in the guest', async () => {
    const img = mkfs('ext4');
    const canary = join(dir, 'canary');
    const twin = join(dir, 'twin');
    writeFileSync(canary, 'host canary\n');
    writeFileSync(twin, 'host twin\n');
    execFileSync('setfattr', ['-n', 'user.keep', '-v', 'host', canary]);
    const canaryBefore = hostAttrs(canary);
    const twinBefore = hostAttrs(twin);
    const modeBefore = statSync(canary).mode;
    const up = '../'.repeat(12);
    const r = await jfish(
      img,
      [
        `ln-s ${canary} /evil`,
        `ln-s ${up}${canary.slice(1)} /evilrel`,
        `mkdir-p ${dir}`,
        `touch ${twin}`,
        `ln-s ${twin} /twin`,
        `mkdir /sub`,
        `ln-s ${up}${twin.slice(1)} /sub/twinrel`,
        '-setxattr user.pwn v 1 /evil',
        '-setxattr user.pwn v 1 /evilrel',
        '-removexattr user.keep /evil',
        '-removexattr user.keep /evilrel',
        '-acl-set-file /evil access "u::rwx,g::rwx,o::rwx,m::rwx,u:0:rwx"',
        '-acl-delete-def-file /evil',
        '-cap-set-file /evil "cap_sys_admin+ep"',
        '-lsetxattr trusted.pwn v 1 /evil',
        'setxattr user.twin v 1 /twin',
        'setxattr user.twin2 w 1 /sub/twinrel',
        'acl-set-file /twin access "u::rwx,g::r-x,o::---,m::r-x,u:500:r"',
        `cap-set-file ${twin} "cap_net_raw+ep"`,
        `getxattrs ${twin}`,
        `cap-get-file ${twin}`,
      ].join('\n'),
    );
    expect(r.exitCode, r.stderr).toBe(0);
    // each write through a link to a path only the host has fails as the guest sees it
    expect(r.stderr.split('\n').filter((l) => /No such file or directory/.test(l))).toHaveLength(6);
    expect(r.stderr).toMatch(/cap-set-file: \/evil: Invalid argument: not a regular file/);
    expect(r.stderr).not.toContain(canary.replace(/\/canary$/, '/')); // no host path of the guest's mount
    // the guest's own twin got every attribute
    expect(r.stdout).toContain('attrname: user.twin\n  attrval: v\n');
    expect(r.stdout).toContain('attrname: user.twin2\n  attrval: w\n');
    expect(r.stdout).toContain('attrname: system.posix_acl_access');
    expect(r.stdout).toMatch(/cap_net_raw=ep$/);
    // the host files are untouched
    expect(hostAttrs(canary)).toBe(canaryBefore);
    expect(hostAttrs(twin)).toBe(twinBefore);
    expect(statSync(canary).mode).toBe(modeBefore);
    expect(readFileSync(canary, 'utf8')).toBe('host canary\n');
    await expectNoLeftovers(before);
  });
});

const WRITES = [
  'touch /f',
  'setxattr user.a hello 5 /f',
  'setxattr user.b "a b" 2 /f',
  'setxattr trusted.t "x\\x01y" 3 /f',
  'mkdir /d',
  'acl-set-file /f access "u::rwx,g::r-x,o::r--,m::r--,u:500:rw,g:600:x"',
  'acl-set-file /d default "u::rwx,g::r-x,o::---"',
  'cap-set-file /f "cap_net_raw+ep"',
  'ln-s f /l',
  'lsetxattr trusted.l v 1 /l',
].join('\n');

const READS = [
  'getxattrs /f',
  'echo --',
  'lgetxattrs /l',
  'echo --',
  'getxattrs /l',
  'echo --',
  'getxattr /f user.a',
  'echo',
  'lgetxattr /l trusted.l',
  'echo',
  'acl-get-file /f access',
  'acl-get-file /d default',
  'acl-get-file /d access',
  'cap-get-file /f',
  'cap-get-file /l',
  '-getxattr /f user.none',
].join('\n');

describe.skipIf(skipReason !== '')('both engines read what the kernel engine wrote', () => {
  for (const type of ['ext4', 'xfs', 'btrfs'] as const) {
    it(`${type}: getxattrs, getxattr and their l* forms, acl-get-file, cap-get-file`, async () => {
      const img = mkfs(type);
      const w = await jfish(img, WRITES, { engine: 'kernel' });
      expect(w.stderr).toBe('');
      expect(w.exitCode).toBe(0);
      const kernel = await jfish(img, READS, { ro: true, engine: 'kernel' });
      const userspace = await jfish(img, READS, { ro: true, engine: 'userspace' });
      expect(kernel.stderr).toBe('jfish: getxattr: /f: user.none: No data available');
      expect(userspace.stderr).toBe(kernel.stderr);
      // (on XFS both also list the on-disk form of an ACL, trusted.SGI_ACL_FILE, as Linux does for root)
      expect(userspace.stdout).toBe(kernel.stdout);
      const out = kernel.stdout;
      expect(out).toContain('[0] = {\n  attrname: security.capability\n');
      expect(out).toContain('  attrname: trusted.t\n  attrval: x\\x01y\n}\n');
      expect(out).toContain('  attrname: user.a\n  attrval: hello\n}\n');
      expect(out).toContain('  attrname: user.b\n  attrval: a \n}\n');
      expect(out).toContain('--\n[0] = {\n  attrname: trusted.l\n  attrval: v\n}\n--\n');
      expect(out).toContain(
        'hello\nv\nuser::rwx\nuser:500:rw-\t#effective:r--\ngroup::r-x\t#effective:r--\ngroup:600:--x\t#effective:---\n' +
          'mask::r--\nother::r--\n\nuser::rwx\ngroup::r-x\nother::---\n\nuser::rwx\ngroup::r-x\nother::r-x\n\n' +
          'cap_net_raw=ep\ncap_net_raw=ep', // execa drops the last newline
      );
      if (type === 'ext4') {
        // the userspace engine only reads: a write says so in one line
        const u = await jfish(img, 'setxattr user.z v 1 /f', { engine: 'userspace' });
        expect(u.exitCode).toBe(1);
        expect(u.stderr).toMatch(/^jfish: setxattr: writing \/f: needs the kernel engine[^\n]*$/);
      }
      await expectNoLeftovers(before);
    });
  }
});

describe.skipIf(skipReason !== '')('the text forms match the host’s getcap and getfacl', () => {
  const hex = (p: string, name: string) => {
    const m = /=0x([0-9a-f]*)/.exec(execFileSync('getfattr', ['-n', name, '-e', 'hex', '--absolute-names', p], { encoding: 'utf8' }));
    return Buffer.from(m![1]!, 'hex');
  };

  it('capabilities: getcap prints what cap-get-file prints, setcap writes what cap-set-file writes', () => {
    const f = join(dir, 'capfile');
    writeFileSync(f, '');
    for (const text of [
      'cap_chown=p cap_chown+e',
      'cap_net_raw+ep',
      'cap_kill=ip cap_chown=p cap_setuid=i',
      'cap_kill=eip cap_chown=ep cap_setuid=ei',
      'all=p cap_kill-p',
      'all=ip cap_kill-i cap_chown-p',
      '=ep cap_chown-ep',
      'cap_sys_admin,cap_bpf,cap_checkpoint_restore=ep',
      'cap_dac_override,cap_audit_read=i',
    ]) {
      execFileSync('setcap', [text, f]);
      const getcap = execFileSync('getcap', [f], { encoding: 'utf8' })
        .trim()
        .slice(f.length + 1);
      const raw = hex(f, 'security.capability');
      expect(capsToText(decodeFileCaps(raw, f)), text).toBe(getcap);
      expect(encodeFileCaps(capsFromText(text)).toString('hex'), text).toBe(raw.toString('hex'));
    }
  });

  it('ACLs: getfacl prints what acl-get-file prints, setfacl writes what acl-set-file writes', () => {
    const f = join(dir, 'aclfile');
    writeFileSync(f, '');
    const noNames = { uidOf: () => undefined, gidOf: () => undefined };
    for (const acl of [
      'u::rwx,g::r-x,o::r--,m::rwx,u:500:rw-,g:600:--x',
      'u::rw-,g::rwx,o::---,m::r--,u:500:rwx,u:70000:r--,g:600:rw-',
      'u::r--,g::---,o::r--,m::---,g:7:rwx',
    ]) {
      execFileSync('setfacl', ['--set', acl, f]);
      const raw = hex(f, 'system.posix_acl_access');
      // getfacl lines up its #effective notes with more tabs than acl_to_text's one
      const getfacl = execFileSync('getfacl', ['-n', '-c', f], { encoding: 'utf8' }).replace(/\t+/g, '\t');
      expect(`${aclText(decodeAcl(raw))}\n`, acl).toBe(getfacl);
      expect(encodeAcl(parseAclText(acl, noNames)).toString('hex'), acl).toBe(raw.toString('hex'));
    }
  });
});
