// The one errno → one-line error translation (guest-path.ts): the words each context uses.
import { describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import {
  guestFsError,
  guestPathOf,
  joinHost,
  OPEN_WORDS,
  READ_WORDS,
  TRANSFER_WORDS,
  WRITE_WORDS,
} from '../../src/appliance/guest-path.js';

const errno = (code: string) => Object.assign(new Error(`${code}: /host/sysroot/x`), { code });

describe('guestFsError', () => {
  it('names the guest path only, with strerror words and a stable code', () => {
    const e = guestFsError(errno('ENOENT'), '/etc/x');
    expect(e).toBeInstanceOf(JootError);
    expect([e.code, e.message]).toEqual(['ENOENT', '/etc/x: No such file or directory']);
    expect(guestFsError(errno('ENOSPC'), '/a').message).toBe('/a: No space left on device');
    expect(guestFsError(errno('EACCES'), '/a', READ_WORDS).code).toBe('EIO');
  });

  it('says ELOOP, EPERM and unknown errnos as each context does', () => {
    expect(guestFsError(errno('ELOOP'), '/a', READ_WORDS).message).toBe('/a: too many levels of symbolic links');
    expect(guestFsError(errno('ELOOP'), '/a', WRITE_WORDS).message).toBe('/a: is a symbolic link');
    expect(guestFsError(errno('ELOOP'), '/a', OPEN_WORDS).message).toBe('/a: not a regular file');
    expect(guestFsError(errno('EPERM'), '/a', WRITE_WORDS).message).toBe('/a: Permission denied');
    expect(guestFsError(errno('EPERM'), '/a', TRANSFER_WORDS).message).toBe('/a: Operation not permitted');
    expect(guestFsError(errno('EWHATEVER'), '/a').message).toBe('/a: EWHATEVER');
    expect(guestFsError(new Error('no code'), '/a', READ_WORDS).message).toBe('/a: read error');
    expect(guestFsError(new Error('no code'), '/a', TRANSFER_WORDS).message).toBe('/a: I/O error');
  });

  it('passes a JootError through', () => {
    const j = new JootError('EPERM', 'x: the session is read-only');
    expect(guestFsError(j, '/a')).toBe(j);
  });
});

describe('host paths', () => {
  it('joins names as strings or bytes and maps host paths back to guest paths', () => {
    expect(joinHost('/', 'a')).toBe('/a');
    expect(joinHost('/r', 'a')).toBe('/r/a');
    expect(joinHost(Buffer.from('/r'), Buffer.from([0xff]))).toEqual(Buffer.from([0x2f, 0x72, 0x2f, 0xff]));
    expect(guestPathOf('/r', '/r')).toBe('/');
    expect(guestPathOf('/r', '/r/etc/x')).toBe('/etc/x');
    expect(guestPathOf('/r', '/rx/etc')).toBeUndefined();
  });
});

describe('guest-path errors carry the guest path as a field', () => {
  it('reader and writer errors name the guest path; transfer errors do not claim one', async () => {
    const { guestFsError, READ_WORDS, TRANSFER_WORDS } = await import('../../src/appliance/guest-path.js');
    const enoent = Object.assign(new Error('x'), { code: 'ENOENT' });
    expect(guestFsError(enoent, '/etc/x', READ_WORDS).guestPath).toBe('/etc/x');
    expect(guestFsError(enoent, '/etc/x', READ_WORDS).message).toBe('/etc/x: No such file or directory');
    expect(guestFsError(enoent, 'host/dir', TRANSFER_WORDS).guestPath).toBeUndefined();
  });
});
