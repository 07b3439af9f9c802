// The text forms of file capabilities and POSIX ACLs that cap-get-file / acl-get-file print and
// cap-set-file / acl-set-file read. Expected texts are what guestfish 1.48 (libcap 2.66,
// libacl 2.3) printed for the same sets; the host's getcap / getfacl are compared in
// test/integration/xattr-ops.test.ts.
import { describe, expect, it } from 'vitest';
import { bufferText } from '../../src/ops/records/xattrs.js';
import { ACL_TAG, decodeAcl, encodeAcl } from '../../src/ops/tar/xattrs.js';
import { aclText, aclWithoutXattr, parseAclText } from '../../src/ops/xattr/acl-text.js';
import { CAP_NAMES, capsFromText, capsToText, decodeFileCaps, encodeFileCaps } from '../../src/ops/xattr/file-caps.js';

const noNames = { uidOf: () => undefined, gidOf: () => undefined };
const roundTrip = (text: string) => capsToText(decodeFileCaps(encodeFileCaps(capsFromText(text)), '/f'));

describe('file capabilities', () => {
  it('prints sets as libcap does', () => {
    expect(roundTrip('cap_chown=p cap_chown+e')).toBe('cap_chown=ep');
    expect(roundTrip('=ep cap_chown-ep')).toBe('=ep cap_chown-ep');
    expect(roundTrip('cap_setuid=i')).toBe('cap_setuid=i');
    expect(roundTrip('cap_setuid,cap_kill=i cap_chown=p')).toBe('cap_kill,cap_setuid=i cap_chown+p');
    expect(roundTrip('cap_kill=ip cap_chown=p cap_setuid=i')).toBe('cap_kill=ip cap_setuid+i cap_chown+p');
    expect(roundTrip('cap_kill=eip cap_chown=ep cap_setuid=ei')).toBe('cap_kill=eip cap_setuid+ei cap_chown+ep');
    expect(roundTrip('all=p cap_kill-p')).toBe('=p cap_kill-p');
    expect(roundTrip('all=ip cap_kill-i cap_chown-p')).toBe('=ip cap_chown-p cap_kill-i');
    expect(roundTrip('')).toBe('=');
    expect(roundTrip('CAP_NET_RAW+ep')).toBe('cap_net_raw=ep');
    expect(roundTrip('13+ep')).toBe('cap_net_raw=ep');
  });

  it('writes revision 2 as libcap does, and reads revisions 1 to 3', () => {
    expect(encodeFileCaps(capsFromText('cap_chown=ep')).toString('hex')).toBe('0100000201000000000000000000000000000000');
    expect(encodeFileCaps(capsFromText('')).toString('hex')).toBe('0000000200000000000000000000000000000000');
    const v1 = Buffer.from('010000010020000000000000', 'hex');
    expect(capsToText(decodeFileCaps(v1, '/f'))).toBe('cap_net_raw=ep');
    const v3 = Buffer.concat([Buffer.from('0000000300200000000000000000000000000000', 'hex'), Buffer.from([0xe8, 3, 0, 0])]);
    const c = decodeFileCaps(v3, '/f');
    expect(capsToText(c)).toBe('cap_net_raw=p');
    expect(c.rootid).toBe(1000);
    expect(encodeFileCaps(c).equals(v3)).toBe(true);
  });

  it('refuses malformed attributes and texts with one line naming the file', () => {
    expect(() => decodeFileCaps(Buffer.from('xyz'), '/f')).toThrow(/^\/f: malformed security\.capability attribute \(3 bytes\)$/);
    expect(() => decodeFileCaps(Buffer.alloc(20), '/f')).toThrow(/revision 0/);
    expect(() => decodeFileCaps(Buffer.from('01000002', 'hex'), '/f')).toThrow(/4 bytes for revision 2/);
    expect(() => decodeFileCaps(Buffer.from('0100100200000000000000000000000000000000', 'hex'), '/f')).toThrow(/unknown flags/);
    expect(() => capsFromText('cap_bogus=ep')).toThrow(/unknown capability 'cap_bogus'/);
    expect(() => capsFromText('+ep')).toThrow(/no capability named/);
    expect(() => capsFromText('cap_chown')).toThrow(/no = \+ or - operation/);
    expect(() => capsFromText('cap_chown+')).toThrow(/no flags after \+/);
    expect(() => capsFromText('cap_chown=ex')).toThrow(/cannot read 'x'/);
    expect(() => encodeFileCaps(capsFromText('cap_net_raw,cap_chown=eip cap_sys_admin+p'))).toThrow(/Invalid argument/);
  });

  it('knows the capabilities of Linux 5.9 and later', () => {
    expect(CAP_NAMES).toHaveLength(41);
    expect(CAP_NAMES[13]).toBe('cap_net_raw');
    expect(CAP_NAMES[40]).toBe('cap_checkpoint_restore');
  });
});

describe('POSIX ACLs', () => {
  it('prints acl_to_text as guestfish does: numbers, and what the mask leaves', () => {
    expect(aclText(aclWithoutXattr('access', 0o100640))).toBe('user::rw-\ngroup::r--\nother::---\n');
    expect(aclText(aclWithoutXattr('default', 0o040755))).toBe('');
    const e = parseAclText('u::rwx,g::rwx,o::r--,m::r--,u:500:rw,g:600:x,u:0:rwx', noNames);
    expect(aclText(decodeAcl(encodeAcl(e)))).toBe(
      'user::rwx\nuser:0:rwx\t#effective:r--\nuser:500:rw-\t#effective:r--\ngroup::rwx\t#effective:r--\n' +
        'group:600:--x\t#effective:---\nmask::r--\nother::r--\n',
    );
    const wide = parseAclText('u::rwx,g::r-x,o::r--,m::rwx,u:500:rw,g:600:x', noNames);
    expect(aclText(decodeAcl(encodeAcl(wide)))).toBe('user::rwx\nuser:500:rw-\ngroup::r-x\ngroup:600:--x\nmask::rwx\nother::r--\n');
  });

  it('reads the long and short text forms, names from the guest', () => {
    const ids = { uidOf: (n: string) => (n === 'alice' ? 1001 : undefined), gidOf: () => undefined };
    const e = parseAclText('user::rw-\nuser:alice:r--\ngroup::r--\nmask::r--\nother::---\n', ids);
    expect(e.find((x) => x.tag === ACL_TAG.user)).toEqual({ tag: ACL_TAG.user, perm: 4, id: 1001 });
  });

  it('refuses what acl_valid and the kernel refuse', () => {
    expect(() => parseAclText('u::r-x,g::r-x,o::r-x,u:500:rw', noNames)).toThrow(/need a mask entry/);
    expect(() => parseAclText('u::r-x,g::r-x', noNames)).toThrow(/needs exactly one other:: entry/);
    expect(() => parseAclText('u::r-x,u::r,g::r-x,o::r', noNames)).toThrow(/needs exactly one user:: entry/);
    expect(() => parseAclText('u::r-x,g::r-x,o::r,m::r,m::r', noNames)).toThrow(/more than one mask/);
    expect(() => parseAclText('u::r-x,g::r-x,o::r,m::r,u:5:r,u:5:w', noNames)).toThrow(/named twice/);
    expect(() => parseAclText('u::r-x,g::r-x,o::r,m::rwx,u:notauser:rw', noNames)).toThrow(/no such user in the guest/);
  });
});

describe('buffer fields', () => {
  it('prints printable ASCII as it is and other bytes as \\xNN', () => {
    expect(bufferText(Buffer.from([0x61, 0x01, 0xff, 0x7a, 0x09, 0x20, 0x7e, 0x7f]))).toBe('a\\x01\\xffz\\x09 ~\\x7f');
  });
});
