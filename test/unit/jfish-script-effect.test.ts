// Does a jfish run only read? Decided before launch from every command it will run (the
// records' `writes`): jfish then picks the userspace engine, as for --ro.
import { describe, expect, it } from 'vitest';
import { scriptEffect } from '../../src/tools/jfish/script-effect.js';
import { table } from '../../src/tools/jfish/table.js';

const commands = (...lines: string[][]) => scriptEffect(table, { kind: 'commands', lines });
const script = (text: string) => scriptEffect(table, { kind: 'script', text });

describe('scriptEffect', () => {
  it('commands given on the command line: read-only when none writes', () => {
    expect(commands(['run'], ['mount', '/dev/sda1', '/'], ['cat', '/etc/hostname'], ['ll', '/'])).toEqual({
      readsOnly: true,
      why: 'every command of the script only reads',
      transfers: false,
    });
    expect(commands()).toEqual({ readsOnly: true, why: 'every command of the script only reads', transfers: false });
    // guestfish spellings, aliases
    expect(commands(['launch'], ['list_filesystems'], ['inspect-os']).readsOnly).toBe(true);
  });

  it('one writer, anywhere, and the run writes', () => {
    expect(commands(['run'], ['cat', '/f'], ['write', '/f', 'x'])).toEqual({ readsOnly: false, why: 'write writes', transfers: false });
    expect(commands(['run'], ['mkfs', 'ext4', '/dev/sda1']).why).toBe('mkfs writes');
    expect(commands(['hivex-open', '/SYSTEM', 'write:true'], ['hivex-commit']).why).toBe('hivex-commit writes');
  });

  it('an unknown command is not known to only read', () => {
    expect(commands(['run'], ['frobnicate', '/'])).toEqual({ readsOnly: false, why: "unknown command 'frobnicate'", transfers: false });
  });

  it('time and glob: what the command they run does', () => {
    expect(commands(['time', 'cat', '/f'], ['glob', 'ls', '/*']).readsOnly).toBe(true);
    expect(commands(['glob', 'rm', '/tmp/*']).why).toBe('rm writes');
    expect(commands(['time', 'glob', 'chmod', '0644', '/etc/*']).why).toBe('chmod writes');
    expect(commands(['time']).why).toBe('a command is missing');
    expect(commands(Array(20).fill('time').concat(['cat', '/f'])).why).toBe('time nests too deep to look into');
  });

  it('a script: comments, blank lines, - prefixes, pipelines and !cmd lines', () => {
    const text = ['# list it', '', 'run', '-mount /dev/sda1 /', 'cat /etc/passwd | wc -l', '!echo host', '  ll /', ''].join('\n');
    expect(script(text)).toEqual({ readsOnly: true, why: 'every command of the script only reads', transfers: false });
    expect(script('run\n-touch /x\n')).toEqual({ readsOnly: false, why: 'touch writes', transfers: false });
  });

  it('a here-document feeds a writer; its body is no command', () => {
    expect(script('run\nupload -<<END /f\nrm-rf /\nEND\n').why).toBe('upload writes');
    // not a here-document (cat takes no filein): a plain argument
    expect(script('run\ncat -<<END\n').readsOnly).toBe(true);
  });

  it('<!cmd, a line that does not lex, a script that does not split: not known to only read', () => {
    expect(script('run\n<!echo cat /f\n')).toEqual({ readsOnly: false, why: 'line 2: <! runs commands known only then', transfers: false });
    expect(script('run\ncat "/f\n')).toEqual({ readsOnly: false, why: 'line 2 does not parse', transfers: false });
    expect(script('run\nupload -<<END /f\nno end\n').why).toMatch(/^the script does not parse: line 2: end of script/);
  });

  it('transfers: a command of the transfer group, also one that time or glob runs', () => {
    expect(commands(['run'], ['tar-out', '/usr', '-']).transfers).toBe(true);
    expect(commands(['run'], ['time', 'download', '/f', 'f']).transfers).toBe(true);
    expect(commands(['run'], ['cat', '/f']).transfers).toBe(false);
    expect(script('run\ncopy-out /etc .\n').transfers).toBe(true);
  });

  it('commands known only later', () => {
    expect(scriptEffect(table, { kind: 'later', what: 'the interactive shell' })).toEqual({
      readsOnly: false,
      why: 'the interactive shell: the commands are not known before launch',
      transfers: false,
    });
  });
});
