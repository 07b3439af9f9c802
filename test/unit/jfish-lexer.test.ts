// jfish's line syntax, checked against guestfish's parse_command_line behaviour and the
// examples in guestfish(1): QUOTING, ESCAPE SEQUENCES, COMMENTS, RUNNING COMMANDS LOCALLY,
// PIPES, HOME DIRECTORIES, EXIT ON ERROR BEHAVIOUR, UPLOADING (here-documents).
import { describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { expandTilde, lexLine, quoteWord, splitScript, type Line } from '../../src/tools/jfish/lexer.js';

const cmd = (name: string, args: string[] = [], extra: { ignoreErrors?: boolean; pipe?: string } = {}): Line => ({
  kind: 'command',
  name,
  args,
  ignoreErrors: extra.ignoreErrors ?? false,
  ...(extra.pipe === undefined ? {} : { pipe: extra.pipe }),
});
const empty: Line = { kind: 'empty' };

describe('lexLine: words and quoting', () => {
  const cases: [string, Line][] = [
    ['run', cmd('run')],
    ['  run  ', cmd('run')],
    ['\trun', cmd('run')],
    ['mount /dev/sda1 /', cmd('mount', ['/dev/sda1', '/'])],
    ['mount\t/dev/sda1 \t /', cmd('mount', ['/dev/sda1', '/'])],
    ['list-filesystems', cmd('list-filesystems')],
    // guestfish(1) QUOTING
    ['add "file with a space.img"', cmd('add', ['file with a space.img'])],
    ["rm '/file name'", cmd('rm', ['/file name'])],
    [`rm '/"'`, cmd('rm', ['/"'])],
    ['vgcreate VG "/dev/sda1 /dev/sdb1"', cmd('vgcreate', ['VG', '/dev/sda1 /dev/sdb1'])],
    [`command "/bin/echo 'foo      bar'"`, cmd('command', ["/bin/echo 'foo      bar'"])],
    [`command "/bin/echo \\'foo\\'"`, cmd('command', ["/bin/echo 'foo'"])],
    // single quotes: no escapes at all
    [`echo 'a\\nb'`, cmd('echo', ['a\\nb'])],
    [`echo '"'`, cmd('echo', ['"'])],
    // empty quoted words are words
    ['echo ""', cmd('echo', [''])],
    ["echo '' x", cmd('echo', ['', 'x'])],
    ['echo " "', cmd('echo', [' '])],
    ['echo "  "', cmd('echo', ['  '])],
    // a quote only counts at the start of a word; inside a bare word it is literal
    [`echo foo"bar"`, cmd('echo', ['foo"bar"'])],
    [`echo it's`, cmd('echo', ["it's"])],
    // the command name is never unquoted and ends only at a space or tab
    ['"echo" x', cmd('"echo"', ['x'])],
    ['echo\u00a0x', cmd('echo\u00a0x')],
    // only space and tab separate words
    ['echo a\vb', cmd('echo', ['a\vb'])],
    ['echo a\r', cmd('echo', ['a\r'])],
    // trailing backslash is an ordinary character (no continuation)
    ['echo a \\', cmd('echo', ['a', '\\'])],
    // non-ASCII passes through
    ['write /motd "héllo wörld ✓"', cmd('write', ['/motd', 'héllo wörld ✓'])],
    ['echo /ünï', cmd('echo', ['/ünï'])],
  ];
  it.each(cases)('%j', (line, want) => {
    expect(lexLine(line)).toEqual(want);
  });
});

describe('lexLine: escape sequences in double quotes', () => {
  const cases: [string, string][] = [
    ['\\n', '\n'],
    ['\\r', '\r'],
    ['\\t', '\t'],
    ['\\a', '\x07'],
    ['\\b', '\b'],
    ['\\f', '\f'],
    ['\\v', '\v'],
    ['\\\\', '\\'],
    ['\\"', '"'],
    ["\\'", "'"],
    ['\\?', '?'],
    ['\\n\\n', '\n\n'],
    ['\\x01', '\x01'],
    ['\\x41\\x42', 'AB'],
    ['\\x4a', 'J'],
    ['\\x4A', 'J'],
    ['\\001', '\x01'],
    ['\\100', '@'],
    ['\\101BC', 'ABC'],
    ['\\303\\251', 'é'], // UTF-8 bytes in octal
    ['\\xc3\\xa9t\\xc3\\xa9', 'été'],
    ['caf\\xc3\\xa9', 'café'],
    ['a\\tb c', 'a\tb c'],
    ['\\\\\\"', '\\"'],
  ];
  it.each(cases)('"%s"', (body, want) => {
    expect(lexLine(`echo "${body}"`)).toEqual(cmd('echo', [want]));
  });
});

describe('lexLine: errors (guestfish test-guestfish-escapes.sh)', () => {
  const cases: [string, RegExp][] = [
    ['echo "\\x00"', /invalid escape sequence in string \(starting at offset 0\)/],
    ['echo "\\000"', /invalid escape sequence in string \(starting at offset 0\)/],
    ['echo "\\x"', /invalid escape sequence/],
    ['echo "\\x0"', /invalid escape sequence/],
    ['echo "\\7"', /invalid escape sequence/],
    ['echo "\\77"', /invalid escape sequence/],
    ['echo "\\777"', /invalid escape sequence/],
    ['echo "ab\\q"', /invalid escape sequence in string \(starting at offset 2\)/],
    ['echo "\\"', /^unterminated double quote$/],
    ['echo "\\\\\\"', /^unterminated double quote$/],
    ['echo "', /^unterminated double quote$/],
    ['echo "abc', /^unterminated double quote$/],
    ['echo """', /^command arguments not separated by whitespace$/],
    ['echo "a"b', /^command arguments not separated by whitespace$/],
    ["echo 'a'b", /^command arguments not separated by whitespace$/],
    ["echo 'abc", /^unterminated single quote$/],
    ["echo '", /^unterminated single quote$/],
    ['echo "\\xff"', /valid UTF-8/],
    ['echo "abc\\', /invalid escape sequence/],
  ];
  it.each(cases)('%j', (line, re) => {
    let err: unknown;
    try {
      lexLine(line);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JootError);
    expect((err as JootError).code).toBe('EINVAL');
    expect((err as JootError).message).toMatch(re);
  });
});

describe('lexLine: comments, blank lines, local commands, ignore-errors', () => {
  const cases: [string, Line][] = [
    ['', empty],
    ['   ', empty],
    ['\t \r\n', empty],
    // guestfish(1) COMMENTS
    ['# this is a comment', empty],
    ['         # this is a comment', empty],
    ['foo # NOT a comment', cmd('foo', ['#', 'NOT', 'a', 'comment'])],
    ['echo "#"', cmd('echo', ['#'])],
    ['#!/usr/bin/jfish -f', empty],
    // guestfish(1) RUNNING COMMANDS LOCALLY: the rest of the line, verbatim
    ['!mkdir local', { kind: 'local', command: 'mkdir local', ignoreErrors: false }],
    ['  ! ls -l "a b" | wc', { kind: 'local', command: ' ls -l "a b" | wc', ignoreErrors: false }],
    ['!', { kind: 'local', command: '', ignoreErrors: false }],
    [
      '<! for n in `seq 1 100`; do echo write /foo.$n $n; done',
      { kind: 'include', command: ' for n in `seq 1 100`; do echo write /foo.$n $n; done', ignoreErrors: false },
    ],
    ['<!cat cmds.txt', { kind: 'include', command: 'cat cmds.txt', ignoreErrors: false }],
    ['< !x', cmd('<', ['!x'])],
    // EXIT ON ERROR BEHAVIOUR: a leading '-'
    ['-rm /foo', cmd('rm', ['/foo'], { ignoreErrors: true })],
    ['  -mkdir /a', cmd('mkdir', ['/a'], { ignoreErrors: true })],
    ['--rm /foo', cmd('rm', ['/foo'], { ignoreErrors: true })],
    ['- rm /foo', cmd('rm', ['/foo'], { ignoreErrors: true })],
    ['-', empty],
    ['-# comment', empty],
    ['-!false', { kind: 'local', command: 'false', ignoreErrors: true }],
    ['-<!false', { kind: 'include', command: 'false', ignoreErrors: true }],
    ['rm -rf', cmd('rm', ['-rf'])],
    ['upload - /foo', cmd('upload', ['-', '/foo'])],
  ];
  it.each(cases)('%j', (line, want) => {
    expect(lexLine(line)).toEqual(want);
  });
});

describe('lexLine: pipes (guestfish(1) PIPES)', () => {
  const cases: [string, Line][] = [
    [`cat /etc/passwd | awk -F: '$3 == 0 { print }'`, cmd('cat', ['/etc/passwd'], { pipe: ` awk -F: '$3 == 0 { print }'` })],
    ['hexdump /bin/ls | head', cmd('hexdump', ['/bin/ls'], { pipe: ' head' })],
    ['list-devices | tail -1', cmd('list-devices', [], { pipe: ' tail -1' })],
    ['tgz-out / - | tar ztf -', cmd('tgz-out', ['/', '-'], { pipe: ' tar ztf -' })],
    ['list-devices |tail', cmd('list-devices', [], { pipe: 'tail' })],
    ['cat /f |', cmd('cat', ['/f'], { pipe: '' })],
    ['-cat /f | wc -l', cmd('cat', ['/f'], { ignoreErrors: true, pipe: ' wc -l' })],
    // the space before the pipe is required; a quoted | is an ordinary word
    ['cat /f|wc', cmd('cat', ['/f|wc'])],
    ['list-devices|wc', cmd('list-devices|wc')],
    ['echo "|"', cmd('echo', ['|'])],
    ["echo '|' x", cmd('echo', ['|', 'x'])],
    // everything after the first pipe is the host's, quotes and all
    ['cat /f | grep "a | b', cmd('cat', ['/f'], { pipe: ' grep "a | b' })],
  ];
  it.each(cases)('%j', (line, want) => {
    expect(lexLine(line)).toEqual(want);
  });
});

describe('lexLine: home directories', () => {
  const homes: Record<string, string> = { '': '/home/me', root: '/root' };
  const home = (u: string): string | undefined => homes[u];
  const cases: [string, string[]][] = [
    ['upload ~/f /f', ['/home/me/f', '/f']],
    ['lcd ~', ['/home/me']],
    ['upload ~root/x /x', ['/root/x', '/x']],
    ['echo ~root', ['/root']],
    ['echo ~nobody/x', ['~nobody/x']],
    ['echo "~"', ['~']],
    ["echo '~/x'", ['~/x']],
    ['echo a~', ['a~']],
  ];
  it.each(cases)('%j', (line, args) => {
    const l = lexLine(line, { home });
    expect(l.kind === 'command' && l.args).toEqual(args);
  });
  it('is off without a home lookup', () => {
    expect(lexLine('echo ~/x')).toEqual(cmd('echo', ['~/x']));
  });
  it('never applies to the command name', () => {
    expect(lexLine('~x', { home })).toEqual(cmd('~x'));
  });
  it('expandTilde alone', () => {
    expect(expandTilde('~', home)).toBe('/home/me');
    expect(expandTilde('~/a/b', home)).toBe('/home/me/a/b');
    expect(expandTilde('x~', home)).toBe('x~');
  });
});

describe('quoteWord round-trips through lexLine', () => {
  const words = [
    'plain',
    '/etc/passwd',
    '',
    ' ',
    'a b',
    'tab\there',
    'new\nline',
    'q"uote',
    "it's",
    'back\\slash',
    '|pipe',
    '~tilde',
    '"x',
    "'x",
    'bell\x07',
    '\x1f\x7f',
    'héllo ✓',
    '#hash',
    '-dash',
    'a|b',
  ];
  it.each(words)('%j', (w) => {
    expect(lexLine(`echo ${quoteWord(w)}`)).toEqual(cmd('echo', [w]));
  });
  it('leaves safe words bare', () => {
    expect(quoteWord('/dev/sda1')).toBe('/dev/sda1');
    expect(quoteWord('a b')).toBe('"a b"');
  });
  it('refuses NUL', () => {
    expect(() => quoteWord('a\0b')).toThrow(/NUL/);
  });
});

describe('splitScript', () => {
  it('numbers lines, drops blank and comment lines and a #! line', () => {
    const text = '#!/usr/local/bin/jfish -f\n\nrun\n  # note\nmount /dev/sda1 /\n\tcat /etc/hostname\n';
    expect(splitScript(text)).toEqual([
      { line: 3, text: 'run' },
      { line: 5, text: 'mount /dev/sda1 /' },
      { line: 6, text: '\tcat /etc/hostname' },
    ]);
  });
  it('has no continuation lines', () => {
    expect(splitScript('echo a \\\necho b').map((l) => l.text)).toEqual(['echo a \\', 'echo b']);
  });
  it('drops a CR before each line end', () => {
    expect(splitScript('run\r\nlist-devices\r\n')).toEqual([
      { line: 1, text: 'run' },
      { line: 2, text: 'list-devices' },
    ]);
  });
  it('handles no final newline, and empty text', () => {
    expect(splitScript('run')).toEqual([{ line: 1, text: 'run' }]);
    expect(splitScript('')).toEqual([]);
    expect(splitScript('\n\n')).toEqual([]);
  });
  it('keeps lines that fail to lex (reported when run)', () => {
    expect(splitScript('echo "x\nrun')).toEqual([
      { line: 1, text: 'echo "x' },
      { line: 2, text: 'run' },
    ]);
  });
  it('gathers here-documents (guestfish(1) UPLOADING AND DOWNLOADING FILES)', () => {
    const text = 'run\nupload -<<END /foo\ninput line 1\ninput line 2\ninput line 3\nEND\ncat /foo\n';
    expect(splitScript(text)).toEqual([
      { line: 1, text: 'run' },
      { line: 2, text: 'upload -<<END /foo', heredocs: [{ arg: 0, marker: 'END', data: 'input line 1\ninput line 2\ninput line 3\n' }] },
      { line: 7, text: 'cat /foo' },
    ]);
  });
  it('here-document lines are data, even when they look like commands or comments', () => {
    const text = 'upload -<<EOF /x\n# not a comment\n\nrm-rf /\n END\nEOF\n';
    const out = splitScript(text);
    expect(out).toHaveLength(1);
    expect(out[0]!.heredocs).toEqual([{ arg: 0, marker: 'EOF', data: '# not a comment\n\nrm-rf /\n END\n' }]);
  });
  it('two here-documents in one command are read in argument order', () => {
    const out = splitScript('cmp -<<A -<<B\na1\nA\nb1\nb2\nB\nrun\n');
    expect(out[0]!.heredocs).toEqual([
      { arg: 0, marker: 'A', data: 'a1\n' },
      { arg: 1, marker: 'B', data: 'b1\nb2\n' },
    ]);
    expect(out[1]).toEqual({ line: 7, text: 'run' });
  });
  it('an empty here-document', () => {
    expect(splitScript('upload -<<END /e\nEND\n')[0]!.heredocs).toEqual([{ arg: 0, marker: 'END', data: '' }]);
  });
  it('only where takesHeredoc allows', () => {
    const text = 'echo -<<END\nrun\nEND\n';
    const out = splitScript(text, { takesHeredoc: (name) => name === 'upload' });
    expect(out.map((l) => l.text)).toEqual(['echo -<<END', 'run', 'END']);
  });
  it('a missing end marker is an error naming the line', () => {
    expect(() => splitScript('run\nupload -<<END /foo\ndata\n')).toThrow(/line 2: .*'END'/);
  });
});
