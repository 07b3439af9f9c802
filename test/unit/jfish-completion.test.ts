// Tab completion against a fake guest tree: command names first, then guest paths and
// device names, quoting kept as typed.
import { describe, expect, it } from 'vitest';
import { complete, type CompletionSource, type DirEntry } from '../../src/tools/jfish/completion.js';
import { lexLine } from '../../src/tools/jfish/lexer.js';

const tree: Record<string, DirEntry[]> = {
  '/': [
    { name: '.', isDir: true },
    { name: '..', isDir: true },
    { name: 'etc', isDir: true },
    { name: 'home', isDir: true },
    { name: 'boot', isDir: true },
    { name: 'bin', isDir: false },
    { name: 'My Documents', isDir: true },
    { name: 'notes.txt', isDir: false },
    { name: 'Notes.md', isDir: false },
    { name: 'dev', isDir: true },
  ],
  '/etc': [
    { name: 'passwd', isDir: false },
    { name: 'passwd-', isDir: false },
    { name: 'pam.d', isDir: true },
    { name: 'hostname', isDir: false },
    { name: "it's", isDir: false },
    { name: 'tab\there', isDir: false },
    { name: 'q"uote', isDir: false },
  ],
  '/My Documents': [
    { name: 'a b.txt', isDir: false },
    { name: 'sub', isDir: true },
  ],
  '/dev': [{ name: 'null', isDir: false }],
};

const listed: string[] = [];
const src: CompletionSource = {
  commands: ['mount', 'mount-ro', 'mkdir', 'mkdir-p', 'list-devices', 'list-filesystems', 'cat', 'help', 'run', 'launch', 'umount-all'],
  listDir: async (dir) => {
    listed.push(dir);
    const e = tree[dir];
    if (!e) throw new Error(`no such directory: ${dir}`);
    return e;
  },
  listDevices: async () => ['/dev/sda', '/dev/sda1', '/dev/sda2', '/dev/sdb', '/dev/vg0/root'],
};

describe('complete: command names', () => {
  const cases: [string, number, string[]][] = [
    ['', 0, ['cat', 'help', 'launch', 'list-devices', 'list-filesystems', 'mkdir', 'mkdir-p', 'mount', 'mount-ro', 'run', 'umount-all']],
    ['mo', 0, ['mount', 'mount-ro']],
    ['mount', 0, ['mount', 'mount-ro']],
    ['mount-r', 0, ['mount-ro']],
    ['list_d', 0, ['list-devices']],
    ['LIST-F', 0, ['list-filesystems']],
    ['  mk', 2, ['mkdir', 'mkdir-p']],
    ['-mo', 1, ['mount', 'mount-ro']],
    ['- mo', 2, ['mount', 'mount-ro']],
    ['zz', 0, []],
  ];
  it.each(cases)('%j', async (text, start, candidates) => {
    const r = await complete(text, src);
    expect(r).toEqual({ start, word: text.slice(start), candidates });
  });
});

describe('complete: guest paths', () => {
  const cases: [string, string[]][] = [
    ['cat /e', ['/etc/']],
    ['cat /etc/pa', ['/etc/pam.d/', '/etc/passwd', '/etc/passwd-']],
    ['cat /etc/passwd', ['/etc/passwd', '/etc/passwd-']],
    ['cat /etc/h', ['/etc/hostname']],
    ['cat /etc/', ['"/etc/tab\\there"', '/etc/hostname', "/etc/it's", '/etc/pam.d/', '/etc/passwd', '/etc/passwd-', '/etc/q"uote']],
    ['cat /b', ['/bin', '/boot/']],
    ['cat /n', ['/notes.txt']],
    ['cat /x', []],
    ['cat /nowhere/x', []],
    // a name with a space: the bare word becomes a double-quoted one
    ['cat /M', ['"/My Documents/']],
    ['cat "/My Documents/', ['"/My Documents/a b.txt"', '"/My Documents/sub/']],
    ['cat "/My', ['"/My Documents/']],
    ["cat '/My Documents/a", ["'/My Documents/a b.txt'"]],
    ["cat '/etc/it", ['"/etc/it\'s"']],
    ['cat "/etc/q', ['"/etc/q\\"uote"']],
    ['cat "/etc/q\\"', ['"/etc/q\\"uote"']],
    ['cat "/etc/t', ['"/etc/tab\\there"']],
    // second and later arguments too
    ['mount /dev/sda1 /e', ['/etc/']],
    ['mkdir-p /a /b /etc/ho', ['/etc/hostname']],
    ['copy-in "/a b" /e', ['/etc/']],
  ];
  it.each(cases)('%j', async (text, candidates) => {
    const r = await complete(text, src);
    expect(r.candidates).toEqual(candidates);
    expect(text.slice(0, r.start) + r.word).toBe(text);
  });

  it('every candidate lexes back to the name it offers', async () => {
    const r = await complete('cat /etc/', src);
    for (const c of r.candidates) {
      const closed = c.endsWith('/') && c.startsWith('"') ? `${c}"` : c;
      const l = lexLine(`cat ${closed}`);
      expect(l.kind).toBe('command');
      expect(l.kind === 'command' && l.args[0]!.startsWith('/etc/')).toBe(true);
    }
    const one = lexLine(`cat ${(await complete('cat "/etc/t', src)).candidates[0]}`);
    expect(one.kind === 'command' && one.args).toEqual(['/etc/tab\there']);
  });

  it('lists the right directory', async () => {
    listed.length = 0;
    await complete('cat /etc/pa', src);
    await complete('cat /b', src);
    await complete('cat "/My Documents/s', src);
    expect(listed).toEqual(['/etc', '/', '/My Documents']);
  });

  it('case-insensitive matching when asked', async () => {
    const r = await complete('cat /no', { ...src, ignoreCase: true });
    expect(r.candidates).toEqual(['/Notes.md', '/notes.txt']);
    const r2 = await complete('cat /ETC/PA', { ...src, ignoreCase: true });
    expect(r2.candidates).toEqual([]); // the directory itself is looked up as typed
    const r3 = await complete('cat /E', { ...src, ignoreCase: true });
    expect(r3.candidates).toEqual(['/etc/']);
  });
});

describe('complete: devices', () => {
  const cases: [string, string[]][] = [
    ['mount /dev/sda', ['/dev/sda', '/dev/sda1', '/dev/sda2']],
    ['mount /dev/v', ['/dev/vg0/root']],
    ['mount /dev/n', ['/dev/null']],
    ['mount /de', ['/dev/', '/dev/sda', '/dev/sda1', '/dev/sda2', '/dev/sdb', '/dev/vg0/root']],
    ['mount /dev/', ['/dev/null', '/dev/sda', '/dev/sda1', '/dev/sda2', '/dev/sdb', '/dev/vg0/root']],
  ];
  it.each(cases)('%j', async (text, candidates) => {
    expect((await complete(text, src)).candidates).toEqual(candidates);
  });
  it('an empty word offers devices and the root directory', async () => {
    const r = await complete('mount ', src);
    expect(r.start).toBe(6);
    expect(r.word).toBe('');
    expect(r.candidates).toContain('/dev/sda1');
    expect(r.candidates).toContain('/etc/');
    expect(r.candidates).toContain('"/My Documents/');
    expect(r.candidates).not.toContain('/./');
  });
});

describe('complete: nothing to offer', () => {
  const cases: string[] = [
    '!ls /e',
    '  !ls',
    '<!cat /e',
    '# comment /e',
    'cat /etc/passwd | grep /e',
    'cat /etc/passwd |',
    'cat "/etc/passwd"',
    'cat relative',
  ];
  it.each(cases)('%j', async (text) => {
    expect((await complete(text, src)).candidates).toEqual([]);
  });

  it('works with no guest (before launch)', async () => {
    const bare: CompletionSource = { commands: ['run'] };
    expect((await complete('cat /e', bare)).candidates).toEqual([]);
    expect((await complete('r', bare)).candidates).toEqual(['run']);
  });

  it('swallows lister errors', async () => {
    const broken: CompletionSource = {
      commands: [],
      listDir: async () => {
        throw new Error('not launched');
      },
      listDevices: async () => {
        throw new Error('not launched');
      },
    };
    expect((await complete('cat /', broken)).candidates).toEqual([]);
  });
});

describe('complete: argument kinds', () => {
  it("help's argument is a command name", async () => {
    expect((await complete('help mou', src)).candidates).toEqual(['mount', 'mount-ro']);
    expect((await complete('help mount /e', src)).candidates).toEqual(['/etc/']);
  });
  it('argKind overrides', async () => {
    const s: CompletionSource = { ...src, argKind: (c, i) => (c === 'echo' ? 'none' : i === 1 ? 'command' : 'path') };
    expect((await complete('echo /e', s)).candidates).toEqual([]);
    expect((await complete('foo /e', s)).candidates).toEqual(['/etc/']);
    expect((await complete('foo /x ca', s)).candidates).toEqual(['cat']);
  });
});

describe('guest names with control characters (issue 12, point 7)', () => {
  const hostile: CompletionSource = {
    commands: ['cat'],
    listDir: async () => [
      { name: 'evil\x1b]0;pwned\x07', isDir: false },
      { name: 'c1\u009b2J', isDir: false },
    ],
  };

  it('are offered quoted with escapes, never raw, and read back as the names', async () => {
    for (const typed of ['cat /', "cat '/", 'cat "/']) {
      const c = await complete(typed, hostile);
      expect(c.candidates).toHaveLength(2);
      for (const cand of c.candidates) expect(cand).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
      const names = c.candidates.map((cand) => (lexLine(`cat ${cand}`) as { args: string[] }).args[0]);
      expect(names.sort()).toEqual(['/c1\u009b2J', '/evil\x1b]0;pwned\x07']);
    }
  });
});
