// joot's pure parts: option parsing, name validation, sizes, the enter command line, the
// debootstrap defaults, and guest-exec's command line for enter (network, joining the holder).
import { describe, expect, it } from 'vitest';
import { guestExecCommand, setupEnv, SETUP_SCRIPT } from '../../src/appliance/guest-exec.js';
import { humanSize, nameProblem, parseArgs, parseSize } from '../../src/tools/joot/args.js';
import { defaultMirror, hostnameFor } from '../../src/tools/joot/build.js';
import { commandLine } from '../../src/tools/joot/enter.js';

describe('names', () => {
  it('accepts sane names', () => {
    for (const n of ['a', 'deb12', 'my-joot', 'x_1.2+b', 'A'.repeat(64)]) expect(nameProblem(n), n).toBeUndefined();
  });
  it('refuses slashes, leading dots and dashes, odd characters and long names', () => {
    expect(nameProblem('a/b')).toBe('contains a slash');
    expect(nameProblem('.x')).toBe('starts with a dot');
    expect(nameProblem('..')).toBe('starts with a dot');
    expect(nameProblem('-x')).toBe('starts with a dash');
    expect(nameProblem('')).toBe('empty name');
    expect(nameProblem('a'.repeat(65))).toMatch(/longer than 64/);
    for (const n of ['a b', 'a\nb', 'ä', 'a$b', 'a:b', '_x']) expect(nameProblem(n), n).toBeDefined();
  });
});

describe('parseArgs', () => {
  const spec = { json: { value: false }, format: { value: true }, yes: { value: false, short: 'y' } };
  it('options anywhere, --opt=value and --opt value, -- ends them', () => {
    const p = parseArgs('x', ['a', '--format=raw', 'b', '--json', '-y', '--format', 'qcow2'], spec);
    expect(p.operands).toEqual(['a', 'b']);
    expect(p.opts.get('format')).toBe('qcow2');
    expect(p.opts.get('json')).toBe(true);
    expect(p.opts.get('yes')).toBe(true);
    expect(parseArgs('x', ['n', '--', 'ls', '-l'], spec, { restAfterDashes: true })).toMatchObject({ operands: ['n'], rest: ['ls', '-l'] });
  });
  it('refuses unknown options and missing values (usage errors)', () => {
    expect(() => parseArgs('x', ['--nope'], spec)).toThrow(/unknown option --nope/);
    expect(() => parseArgs('x', ['--format'], spec)).toThrow(/needs a value/);
    expect(() => parseArgs('x', ['--json=1'], spec)).toThrow(/takes no value/);
  });
});

describe('sizes', () => {
  it('parses and prints', () => {
    expect(parseSize('4G')).toBe(4 * 1024 ** 3);
    expect(parseSize('512M')).toBe(512 * 1024 ** 2);
    expect(parseSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('100')).toBe(100);
    expect(parseSize('x')).toBeUndefined();
    expect(parseSize('0')).toBeUndefined();
    expect(parseSize('99999999999999999999')).toBeUndefined(); // beyond 2^53: not exact
    expect(humanSize(512)).toBe('512B');
    expect(humanSize(1536)).toBe('1.5K');
    expect(humanSize(200 * 1024)).toBe('200K');
    expect(humanSize(2 * 1024 ** 3)).toBe('2.0G');
  });
});

describe('image build defaults', () => {
  it('picks Debian or Ubuntu mirrors, overridable', () => {
    expect(defaultMirror('bookworm', {})).toBe('http://deb.debian.org/debian');
    expect(defaultMirror('bookworm', { JOOT_DEBIAN_MIRROR: 'http://m/debian' })).toBe('http://m/debian');
    expect(defaultMirror('noble', {})).toBe('http://archive.ubuntu.com/ubuntu');
  });
  it('makes a hostname from an image name', () => {
    expect(hostnameFor('deb12')).toBe('deb12');
    expect(hostnameFor('my_img.v2+x')).toBe('my-img-v2-x');
  });
});

describe('enter', () => {
  it('runs the root shell by default, CMD through the guest sh for a PATH lookup', () => {
    expect(commandLine({ shell: '/bin/bash', hasSh: true }, undefined)).toEqual(['/bin/bash']);
    expect(commandLine({ shell: '/bin/bash', hasSh: true }, ['ls', '-l'])).toEqual(['/bin/sh', '-c', 'exec "$0" "$@"', 'ls', '-l']);
    expect(commandLine({ shell: '/bin/bash', hasSh: true }, ['/usr/bin/env'])).toEqual(['/usr/bin/env']);
    expect(commandLine({ shell: '/bin/sh', hasSh: false }, ['ls'])).toEqual(['ls']);
  });
  it('joins the holder mount namespace and keeps the network unless told not to', () => {
    const o = { root: '/r', mounts: [{ mountpoint: '/', hostTarget: '/r', readonly: false }], argv: ['/bin/sh'] };
    const net = guestExecCommand({ ...o, network: true, joinMountNs: 1234 }).args;
    expect(net.slice(0, 6)).toEqual(['--pdeathsig', 'KILL', '--', 'nsenter', '--mount=/proc/1234/ns/mnt', '--']);
    expect(net).not.toContain('--net');
    expect(guestExecCommand({ ...o, network: false, joinMountNs: 1234 }).args).toContain('--net');
    // jfish's default is unchanged: no nsenter, no network
    const plain = guestExecCommand(o).args;
    expect(plain).toContain('--net');
    expect(plain).not.toContain('nsenter');
  });
  it('passes guest data to the setup script as environment, never as code', () => {
    const env = setupEnv({ term: 'xterm', env: { LANG: 'C.UTF-8', FOO: 'x' }, hostname: '$(reboot)', resolvConf: '/run/x.conf' });
    expect(env).toMatchObject({ LANG: 'C.UTF-8', FOO: 'x', TERM: 'xterm', JOOT_HOSTNAME: '$(reboot)', JOOT_RESOLV: '/run/x.conf' });
    // the host's /dev/pts is never bound, whatever the environment says
    expect(setupEnv({})).not.toHaveProperty('JOOT_HOST_PTS');
    expect(SETUP_SCRIPT).not.toContain('JOOT_HOST_PTS');
    expect(SETUP_SCRIPT).toContain('printf %s "$JOOT_HOSTNAME" >/proc/sys/kernel/hostname');
    expect(SETUP_SCRIPT).toContain('unset JOOT_DROP_CAPS JOOT_RESOLV JOOT_HOSTNAME');
  });
});
