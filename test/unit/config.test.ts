// The joot configuration file: where it is looked for, what it may say, and how bad
// settings are reported (file and line).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { defaultConfig, findConfigFile, formatConfig, loadConfig, parseConfig, splitPatterns } from '../../src/tools/config.js';

let dir: string;
let home: string;
let etc: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'joot-config-'));
  home = path.join(dir, 'home');
  mkdirSync(home);
  etc = path.join(dir, 'joot.cfg');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(file: string, text: string): string {
  writeFileSync(file, text);
  return file;
}

/** The JootError parseConfig throws for `text`. */
function failure(text: string, file = '/x/joot.cfg'): JootError {
  try {
    parseConfig(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(JootError);
    return e as JootError;
  }
  throw new Error(`no error for: ${text}`);
}

describe('search order', () => {
  it('no file anywhere: the defaults', () => {
    const c = loadConfig({}, home, etc);
    expect(c).toEqual(defaultConfig());
    expect(c).toEqual({ joot_home: '/var/lib/joot', image_path: [], pass_thru_env: [], read_only: false, linger: 10, backing_dirs: [] });
    expect(c.source).toBeUndefined();
  });

  it('/etc/joot.cfg when there is no ~/.joot', () => {
    write(etc, 'joot_home = /srv/etc\n');
    const c = loadConfig({}, home, etc);
    expect(c.source).toBe(etc);
    expect(c.joot_home).toBe('/srv/etc');
  });

  it('~/.joot before /etc/joot.cfg (no merging: the first file is the whole configuration)', () => {
    write(etc, 'joot_home = /srv/etc\nread_only = yes\n');
    const user = write(path.join(home, '.joot'), 'joot_home = /srv/user\n');
    const c = loadConfig({}, home, etc);
    expect(c.source).toBe(user);
    expect(c.joot_home).toBe('/srv/user');
    expect(c.read_only).toBe(false);
  });

  it('$JOOT_CONFIG before both', () => {
    write(etc, 'joot_home = /srv/etc\n');
    write(path.join(home, '.joot'), 'joot_home = /srv/user\n');
    const named = write(path.join(dir, 'named.ini'), 'joot_home = /srv/named\n');
    const c = loadConfig({ JOOT_CONFIG: named }, home, etc);
    expect(c.source).toBe(named);
    expect(c.joot_home).toBe('/srv/named');
  });

  it('$JOOT_CONFIG must exist', () => {
    write(path.join(home, '.joot'), 'joot_home = /srv/user\n');
    const missing = path.join(dir, 'missing.ini');
    expect(() => loadConfig({ JOOT_CONFIG: missing }, home, etc)).toThrow(
      expect.objectContaining({ code: 'ENOENT', message: `${missing}: no such configuration file (named by JOOT_CONFIG)` }),
    );
  });

  it('an empty $JOOT_CONFIG counts as unset', () => {
    write(etc, 'joot_home = /srv/etc\n');
    expect(loadConfig({ JOOT_CONFIG: '' }, home, etc).source).toBe(etc);
  });

  it('a relative $JOOT_CONFIG is taken from the current directory', () => {
    const named = write(path.join(dir, 'rel.ini'), 'read_only = 1\n');
    const rel = path.relative(process.cwd(), named);
    expect(findConfigFile({ JOOT_CONFIG: rel }, home, etc)).toBe(named);
  });

  it('a directory where the file should be is an error, not skipped', () => {
    mkdirSync(path.join(home, '.joot'));
    write(etc, 'joot_home = /srv/etc\n');
    expect(() => loadConfig({}, home, etc)).toThrow(/\.joot: is a directory/);
    expect(() => loadConfig({ JOOT_CONFIG: dir }, home, etc)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('no home directory: only the system file', () => {
    write(etc, 'read_only = true\n');
    expect(loadConfig({}, '', etc).read_only).toBe(true);
  });
});

describe('settings', () => {
  it('reads every setting, with where each came from', () => {
    const text = [
      '; joot',
      '# comments both ways',
      'joot_home = /srv/joot/',
      'default_image = /srv/vm/web.qcow2',
      'image_path = /srv/vm/*.{qcow2,raw}, /home/*/vm/**/*.img',
      '',
      'pass_thru_env = HTTP_PROXY, LANG , _X1',
      'read_only = Yes',
      'linger = 0',
      'backing_dirs = /var/lib/nova/instances/_base/, /srv/bases',
    ].join('\n');
    const c = parseConfig(text, '/f');
    expect(c).toEqual({
      joot_home: '/srv/joot',
      default_image: '/srv/vm/web.qcow2',
      image_path: ['/srv/vm/*.{qcow2,raw}', '/home/*/vm/**/*.img'],
      pass_thru_env: ['HTTP_PROXY', 'LANG', '_X1'],
      read_only: true,
      linger: 0,
      backing_dirs: ['/var/lib/nova/instances/_base', '/srv/bases'],
      source: '/f',
      origin: {
        joot_home: '/f:3',
        default_image: '/f:4',
        image_path: '/f:5',
        pass_thru_env: '/f:7',
        read_only: '/f:8',
        linger: '/f:9',
        backing_dirs: '/f:10',
      },
    });
  });

  it('a [joot] section works as well as the top level', () => {
    const c = parseConfig('read_only = no\n[joot]\njoot_home = /a\nimage_path[] = /b/*\n', '/f');
    expect(c).toMatchObject({ read_only: false, joot_home: '/a', image_path: ['/b/*'] });
    expect(c.origin).toEqual({ read_only: '/f:1', joot_home: '/f:3', image_path: '/f:4' });
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['yes', true],
    ['YES', true],
    ['1', true],
    ['false', false],
    ['False', false],
    ['no', false],
    ['No', false],
    ['0', false],
  ])('read_only = %s', (v, b) => {
    expect(parseConfig(`read_only = ${v}\n`, '/f').read_only).toBe(b);
  });

  it('lists: repeated [] lines, commas, a plain line mixed with [] lines, duplicates dropped', () => {
    const c = parseConfig(
      'image_path = /a/*, /b/*\nimage_path[] = /c/*\nimage_path[] = /a/*,/d/*\npass_thru_env[] = A\npass_thru_env[] = B,A\n',
      '/f',
    );
    expect(c.image_path).toEqual(['/a/*', '/b/*', '/c/*', '/d/*']);
    expect(c.pass_thru_env).toEqual(['A', 'B']);
    expect(c.origin?.image_path).toBe('/f:1,2,3');
  });

  it('list settings at the top and under [joot] add up', () => {
    const c = parseConfig('pass_thru_env = A\n[joot]\npass_thru_env[] = B\n', '/f');
    expect(c.pass_thru_env).toEqual(['A', 'B']);
  });

  it('quoted values, CRLF line ends and a byte-order mark', () => {
    const c = parseConfig('\uFEFFdefault_image = "/vm/a;b.img"\r\n\r\n\r\nread_only = 1\r\n', '/f');
    expect(c.default_image).toBe('/vm/a;b.img');
    expect(c.origin).toEqual({ default_image: '/f:1', read_only: '/f:4' });
  });

  it('splits patterns on commas outside braces; \\, is a literal comma', () => {
    expect(splitPatterns('/a/{b,c}/*.{x,y}, /d')).toEqual(['/a/{b,c}/*.{x,y}', '/d']);
    expect(splitPatterns('/a\\,b,/c')).toEqual(['/a\\,b', '/c']);
    expect(splitPatterns('/a/{b')).toMatch(/unbalanced '\{'/);
  });
});

describe('bad settings name their file and line', () => {
  const cases: [string, string, string][] = [
    ['unknown setting, close', 'read_only = 1\n\njoot_hoem = /x\n', '/x/joot.cfg:3: joot_hoem: unknown setting; did you mean joot_home?'],
    ['unknown setting, other spelling', 'JOOT-HOME = /x\n', '/x/joot.cfg:1: JOOT-HOME: unknown setting; did you mean joot_home?'],
    [
      'unknown setting, far',
      'colour = red\n',
      '/x/joot.cfg:1: colour: unknown setting (known: joot_home, default_image, image_path, pass_thru_env, read_only, linger, backing_dirs, engine, kernel_mounts)',
    ],
    ['bad linger', 'linger = 5s\n', "/x/joot.cfg:1: linger: '5s' is not a number of seconds from 0 to 3600"],
    ['linger too long', 'linger = 86400\n', "/x/joot.cfg:1: linger: '86400' is not a number of seconds from 0 to 3600"],
    [
      'unknown section',
      'read_only = 1\n[libguestfs]\n',
      '/x/joot.cfg:2: [libguestfs]: unknown section: put settings at the top of the file or under [joot]',
    ],
    [
      'sub-section',
      '[joot.more]\nread_only = 1\n',
      '/x/joot.cfg:1: [joot.more]: unknown section: put settings at the top of the file or under [joot]',
    ],
    ['no value', '\n\nread_only\n', '/x/joot.cfg:3: read_only: no value (write read_only = VALUE)'],
    ['not a setting', '; c\n= x\n', '/x/joot.cfg:2: = x: not a setting (expected NAME = VALUE)'],
    ['empty value', 'default_image =\n', '/x/joot.cfg:1: default_image: empty value (delete the line to use the default)'],
    ['bad boolean', 'joot_home = /a\nread_only = maybe\n', "/x/joot.cfg:2: read_only: 'maybe' is not a boolean (true/false, yes/no, 1/0)"],
    ['relative joot_home', 'joot_home = var/joot\n', "/x/joot.cfg:1: joot_home: 'var/joot' is not an absolute path"],
    ['~ joot_home', 'joot_home = ~/joot\n', "/x/joot.cfg:1: joot_home: '~/joot' is not an absolute path (~ is not expanded)"],
    ['relative pattern', 'image_path = /a/*, b/*.img\n', "/x/joot.cfg:1: image_path: 'b/*.img' is not an absolute pattern"],
    ['relative backing dir', 'backing_dirs = /srv/bases, _base\n', "/x/joot.cfg:1: backing_dirs: '_base' is not an absolute path"],
    ['empty backing dir', 'backing_dirs = /srv/bases,,/b\n', "/x/joot.cfg:1: backing_dirs: empty directory in '/srv/bases,,/b'"],
    ['empty pattern', 'image_path = /a/*,,/b\n', "/x/joot.cfg:1: image_path: empty pattern in '/a/*,,/b'"],
    ['unbalanced braces', '\nimage_path[] = /a/*.{img,raw\n', "/x/joot.cfg:2: image_path: unbalanced '{' in '/a/*.{img,raw'"],
    ['bad env name', 'pass_thru_env = PATH, 1BAD\n', "/x/joot.cfg:1: pass_thru_env: '1BAD' is not an environment variable name"],
    [
      'bad env name with a dash',
      'pass_thru_env[] = A\npass_thru_env[] = MY-VAR\n',
      "/x/joot.cfg:2: pass_thru_env: 'MY-VAR' is not an environment variable name",
    ],
    ['empty env name', 'pass_thru_env = A,\n', "/x/joot.cfg:1: pass_thru_env: empty name in 'A,'"],
    ['scalar set twice', 'read_only = 1\nread_only = 0\n', '/x/joot.cfg:2: read_only: set more than once (first at line 1)'],
    [
      'scalar set twice, second value bad: the repeat is reported',
      'read_only = 1\nread_only = sometimes\n',
      '/x/joot.cfg:2: read_only: set more than once (first at line 1)',
    ],
    [
      'scalar at the top and under [joot]',
      'joot_home = /a\n[joot]\njoot_home = /b\n',
      '/x/joot.cfg:3: joot_home: set more than once (first at line 1)',
    ],
    [
      'scalar with []',
      'default_image[] = /a\n',
      '/x/joot.cfg:1: default_image[]: takes a single value: write default_image = VALUE, without []',
    ],
    [
      'list set twice without []',
      'image_path = /a\nimage_path = /b\n',
      '/x/joot.cfg:2: image_path: set more than once (first at line 1); separate values with commas, or write image_path[] = VALUE on each line',
    ],
  ];
  it.each(cases)('%s', (_what, text, message) => {
    const e = failure(text);
    expect(e.code).toBe('EINVAL');
    expect(e.message).toBe(message);
  });

  it('kernel_mounts: auto or never, nothing else', () => {
    expect(parseConfig('kernel_mounts = never\n', '/f').kernel_mounts).toBe('never');
    expect(parseConfig('kernel_mounts = auto\n', '/f').kernel_mounts).toBe('auto');
    expect(() => parseConfig('kernel_mounts = sometimes\n', '/f')).toThrow("/f:1: kernel_mounts: 'sometimes' is not auto or never");
  });

  it('engine: userspace or kernel, nothing else', () => {
    expect(parseConfig('engine = userspace\n', '/f').engine).toBe('userspace');
    expect(parseConfig('engine = kernel\n', '/f').engine).toBe('kernel');
    expect(() => parseConfig('engine = fast\n', '/f')).toThrow("/f:1: engine: 'fast' is not an engine (userspace or kernel)");
  });

  it('loadConfig reports the real file path', () => {
    const f = write(path.join(home, '.joot'), 'joot_home = /a\nread_only = sometimes\n');
    expect(() => loadConfig({}, home, etc)).toThrow(`${f}:2: read_only: 'sometimes' is not a boolean`);
  });
});

describe('formatConfig', () => {
  it('the defaults', () => {
    expect(formatConfig(defaultConfig())).toBe(
      [
        '; no configuration file ($JOOT_CONFIG, ~/.joot, /etc/joot.cfg): built-in defaults',
        'joot_home = /var/lib/joot   ; default',
        '; default_image is not set',
        '; image_path is empty       ; default',
        '; pass_thru_env is empty    ; default',
        'read_only = false           ; default',
        'linger = 10                 ; default',
        '; backing_dirs is empty     ; default',
        '; engine is not set',
        '; kernel_mounts is not set',
        '',
      ].join('\n'),
    );
  });

  it('every setting with its file and line, as INI that reads back the same', () => {
    const f = write(
      path.join(home, '.joot'),
      'default_image = "/vm/a#1.img"\nimage_path[] = /a/{b,c}/*\nimage_path[] = /d\\,e/*\n[joot]\npass_thru_env = LANG\n',
    );
    const c = loadConfig({}, home, etc);
    const text = formatConfig(c);
    expect(text).toBe(
      [
        `; joot configuration from ${f}`,
        'joot_home = /var/lib/joot         ; default',
        `default_image = /vm/a\\#1.img      ; ${f}:1`,
        `image_path = /a/{b,c}/*, /d\\,e/*  ; ${f}:2,3`,
        `pass_thru_env = LANG              ; ${f}:5`,
        'read_only = false                 ; default',
        'linger = 10                       ; default',
        '; backing_dirs is empty           ; default',
        '; engine is not set',
        '; kernel_mounts is not set',
        '',
      ].join('\n'),
    );
    const back = parseConfig(text, '/g');
    expect({ ...back, source: c.source, origin: c.origin }).toEqual(c);
    expect(back.origin).toEqual({
      joot_home: '/g:2',
      default_image: '/g:3',
      image_path: '/g:4',
      pass_thru_env: '/g:5',
      read_only: '/g:6',
      linger: '/g:7',
    });
  });
});
