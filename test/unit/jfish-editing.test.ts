// jfish's editing and search commands (edit/vi/emacs, fstab-list/add/remove, the grep family,
// file) through the command table, against a fake session whose guest is a temporary directory
// (GuestReader / GuestWriter over it): no devices. Owner and SELinux-label checks need root.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GuestReader } from '../../src/appliance/guest-reader.js';
import { GuestWriter } from '../../src/appliance/guest-writer.js';
import { addFstabEntry, canonicalMountpoint, formatEntry, removeFstabEntry } from '../../src/inspect/fstab-edit.js';
import type { Ctx } from '../../src/tools/jfish/command.js';
import { runScript } from '../../src/tools/jfish/dispatch.js';
import { editFile, splitCommand } from '../../src/ops/editing/edit.js';
import { bytesToMatchString, compilePattern, posixToRegExp } from '../../src/ops/editing/grep.js';
import { lookup, table } from '../../src/tools/jfish/table.js';
import type { Writer } from '../../src/core/output.js';

const root = process.getuid?.() === 0;
const hasTool = (t: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

class MemWriter implements Writer {
  chunks: Buffer[] = [];
  closed = false;
  escapes = false;
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
  async write(data: string | Uint8Array): Promise<void> {
    this.chunks.push(Buffer.from(data));
  }
  async lines(lines: Iterable<string>): Promise<void> {
    for (const l of lines) this.chunks.push(Buffer.from(`${l}\n`));
  }
  async guestText(s: string): Promise<void> {
    await this.write(s);
  }
}

let dir = '';
let scratch = '';
const FSTAB =
  '# /etc/fstab: static file system information.\n#\nUUID=1111 / ext4 errors=remount-ro 0 1\n\n# boot\nLABEL=boot   /boot\text4\tdefaults\t0\t2\n/dev/sda3 none swap sw 0 0\n';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'jfish-editing-'));
  scratch = mkdtempSync(join(tmpdir(), 'jfish-editing-scratch-'));
  mkdirSync(join(dir, 'etc'));
  mkdirSync(join(dir, 'var/log'), { recursive: true });
  writeFileSync(join(dir, 'etc/hostname'), 'guest\n');
  writeFileSync(join(dir, 'etc/fstab'), FSTAB);
  writeFileSync(
    join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n',
  );
  writeFileSync(join(dir, 'var/log/syslog.1.gz'), gzipSync('one error\ntwo ok\nthree ERROR\n'));
  writeFileSync(join(dir, 'empty'), '');
  symlinkSync('/etc/hostname', join(dir, 'hn'));
  symlinkSync('/../../../../../../etc', join(dir, 'escape'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

function context(opts: { readonly?: boolean } = {}) {
  const reader = new GuestReader(dir);
  const writer = new GuestWriter(reader, dir, { readonly: opts.readonly });
  const session = {
    launched: true,
    reader,
    writer,
    stat: (p: string) => reader.stat(p),
    readFile: (p: string) => reader.readFile(p),
    readdir: (p: string) => reader.readdir(p),
  };
  const out = new MemWriter();
  const ctx = { session, out, readonly: opts.readonly ?? false, table } as unknown as Ctx;
  return { ctx, out, reader, writer };
}

async function jf(lines: string[][], opts: { readonly?: boolean } = {}) {
  const c = context(opts);
  await runScript(c.ctx, lines);
  return c.out.text;
}

/** An editor script: `sh SCRIPT FILE`. */
function editor(body: string): string {
  const f = join(scratch, `ed-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(f, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return f;
}

describe('table', () => {
  it('has the commands, with help', () => {
    for (const n of 'edit vi emacs fstab-list fstab-add fstab-remove file grep egrep fgrep grepi egrepi fgrepi zgrep zegrep zfgrep zgrepi zegrepi zfgrepi'.split(
      ' ',
    )) {
      const c = lookup(n);
      expect(c, n).toBeDefined();
      expect(c!.summary.length, n).toBeGreaterThan(5);
    }
    expect(lookup('vi')!.description).toContain('"vi", whatever $EDITOR says');
    expect(lookup('emacs')!.description).toContain('"emacs -nw"');
    expect(lookup('edit')!.group).toBe('editing');
    expect(lookup('fstab-add')!.group).toBe('editing');
    expect(lookup('zfgrepi')!.group).toBe('files');
  });
});

describe('splitCommand', () => {
  it('splits like a shell, simply', () => {
    expect(splitCommand('vi')).toEqual(['vi']);
    expect(splitCommand('  emacs   -nw ')).toEqual(['emacs', '-nw']);
    expect(splitCommand(`code --wait 'a b' "c \\"d\\"" e\\ f`)).toEqual(['code', '--wait', 'a b', 'c "d"', 'e f']);
    expect(splitCommand(`x ''`)).toEqual(['x', '']);
    expect(() => splitCommand(`vi 'oops`)).toThrow(/unterminated/);
  });
});

describe('edit', () => {
  it('writes back changed content atomically, keeping mode and owner', async () => {
    const f = join(dir, 'etc/hostname');
    chmodSync(f, 0o640);
    if (root) chownSync(f, 1234, 5678);
    const ino = statSync(f).ino;
    process.env.EDITOR = `sh ${editor('sed -i s/guest/edited/ "$1"')}`;
    try {
      await jf([['edit', '/hn']]);
    } finally {
      delete process.env.EDITOR;
    }
    expect(readFileSync(f, 'utf8')).toBe('edited\n');
    const st = statSync(f);
    expect(st.mode & 0o7777).toBe(0o640);
    if (root) expect([st.uid, st.gid]).toEqual([1234, 5678]);
    expect(st.ino).not.toBe(ino); // replaced by rename
    expect(lstatSync(join(dir, 'hn')).isSymbolicLink()).toBe(true); // the link is kept
    expect(readdirSync(join(dir, 'etc')).sort()).toEqual(['fstab', 'hostname', 'passwd']); // no temp left
  });

  it('writes nothing when the content is unchanged', async () => {
    const f = join(dir, 'etc/passwd');
    const before = statSync(f);
    const c = context();
    const r = await editFile(c.reader, c.writer, '/etc/passwd', { editor: `sh ${editor('touch "$1"')}`, tmpRoot: scratch });
    expect(r).toBe('unchanged');
    const after = statSync(f);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(readdirSync(scratch).filter((n) => n.startsWith('jfish-edit-'))).toEqual([]);
  });

  it('leaves the file alone when the editor fails, and removes the temp dir', async () => {
    const c = context();
    await expect(
      editFile(c.reader, c.writer, '/etc/hostname', { editor: `sh ${editor('echo junk > "$1"; exit 3')}`, tmpRoot: scratch }),
    ).rejects.toThrow("editor 'sh' failed (exit 3); /etc/hostname was not changed");
    expect(readFileSync(join(dir, 'etc/hostname'), 'utf8')).toBe('guest\n');
    await expect(editFile(c.reader, c.writer, '/etc/hostname', { editor: 'no-such-editor-jfish', tmpRoot: scratch })).rejects.toThrow(
      "editor 'no-such-editor-jfish' could not be started: not found",
    );
    expect(readdirSync(scratch).filter((n) => n.startsWith('jfish-edit-'))).toEqual([]);
  });

  it('gives the editor a 0700 private copy, with EDITOR arguments', async () => {
    const c = context();
    const log = join(scratch, 'log');
    await editFile(c.reader, c.writer, '/etc/hostname', {
      editor: `sh ${editor(`stat -c '%a' "$(dirname "$2")" > ${log}; echo "$1" >> ${log}; echo new > "$2"`)} --flag`,
      tmpRoot: scratch,
    });
    const [mode, flag] = readFileSync(log, 'utf8').split('\n');
    expect(mode).toBe('700');
    expect(flag).toBe('--flag');
    expect(readFileSync(join(dir, 'etc/hostname'), 'utf8')).toBe('new\n');
  });

  it('refuses read-only sessions, directories, and links out of the guest', async () => {
    process.env.EDITOR = 'true';
    try {
      await expect(jf([['edit', '/etc/hostname']], { readonly: true })).rejects.toThrow('/etc/hostname: the session is read-only');
      await expect(jf([['vi', '/etc']])).rejects.toThrow('/etc: not a regular file');
      // /escape points "above" the root, which is the root inside the guest: /etc/shadow is not there
      await expect(jf([['emacs', '/escape/shadow']])).rejects.toThrow(/No such file/);
    } finally {
      delete process.env.EDITOR;
    }
  });

  it.skipIf(!root || !hasTool('setfattr'))('keeps the SELinux label', async () => {
    const f = join(dir, 'etc/hostname');
    const label = '0x73797374656d5f753a6f626a6563745f723a6574635f743a733000';
    execFileSync('setfattr', ['-h', '-n', 'security.selinux', '-v', label, f]);
    const c = context();
    await editFile(c.reader, c.writer, '/etc/hostname', { editor: `sh ${editor('echo x > "$1"')}`, tmpRoot: scratch });
    expect(readFileSync(f, 'utf8')).toBe('x\n');
    const out = execFileSync('getfattr', ['-h', '--absolute-names', '-e', 'hex', '-n', 'security.selinux', f], { encoding: 'utf8' });
    expect(out).toContain(`security.selinux=${label}`);
    // a file without a label gets none
    await editFile(c.reader, c.writer, '/etc/passwd', { editor: `sh ${editor('echo y > "$1"')}`, tmpRoot: scratch });
    expect(() => execFileSync('getfattr', ['-h', '-n', 'security.selinux', join(dir, 'etc/passwd')], { stdio: 'pipe' })).toThrow();
  });
});

describe('fstab', () => {
  it('lists the entries in file order', async () => {
    expect(await jf([['fstab-list']])).toBe(
      'UUID=1111 / ext4 errors=remount-ro 0 1\nLABEL=boot /boot ext4 defaults 0 2\n/dev/sda3 none swap sw 0 0\n',
    );
  });

  it('adds an entry, keeping every existing byte and the mode', async () => {
    chmodSync(join(dir, 'etc/fstab'), 0o600);
    await jf([['fstab-add', 'UUID=2222', '/srv/data', 'xfs']]);
    await jf([['fstab-add', 'LABEL=my disk', '/mnt/x', 'ext4', 'noatime,nofail', '0', '2']]);
    const text = readFileSync(join(dir, 'etc/fstab'), 'utf8');
    expect(text).toBe(`${FSTAB}UUID=2222 /srv/data xfs defaults 0 0\nLABEL=my\\040disk /mnt/x ext4 noatime,nofail 0 2\n`);
    expect(statSync(join(dir, 'etc/fstab')).mode & 0o777).toBe(0o600);
    expect(await jf([['fstab-list']])).toContain('LABEL=my\\040disk /mnt/x ext4 noatime,nofail 0 2\n');
  });

  it('refuses a mountpoint that has an entry, naming it', async () => {
    await expect(jf([['fstab-add', '/dev/sdb1', '/boot/', 'ext4']])).rejects.toThrow(
      '/boot already has an entry: line 6: LABEL=boot /boot ext4 defaults 0 2',
    );
    await expect(jf([['fstab-add', '/dev/sda3', 'none', 'swap']])).rejects.toThrow('/dev/sda3 already has an entry: line 7');
    await expect(jf([['fstab-add', '/dev/sdb1', 'relative', 'ext4']])).rejects.toThrow(/absolute/);
    expect(readFileSync(join(dir, 'etc/fstab'), 'utf8')).toBe(FSTAB);
  });

  it('removes entries, keeping the rest', async () => {
    await jf([['fstab-remove', '/boot']]);
    expect(readFileSync(join(dir, 'etc/fstab'), 'utf8')).toBe(FSTAB.replace('LABEL=boot   /boot\text4\tdefaults\t0\t2\n', ''));
    await expect(jf([['fstab-remove', '/nothing']])).rejects.toThrow('no fstab entry for /nothing');
  });

  it('refuses read-only sessions', async () => {
    await expect(jf([['fstab-add', 'UUID=1', '/x', 'ext4']], { readonly: true })).rejects.toThrow('/etc/fstab: the session is read-only');
  });

  it('text helpers: no final newline, CRLF, non-UTF-8 bytes', () => {
    expect(addFstabEntry('/dev/a / ext4', { spec: '/dev/b', file: '/b', vfstype: 'ext4' })).toBe(
      '/dev/a / ext4\n/dev/b /b ext4 defaults 0 0\n',
    );
    expect(addFstabEntry('/dev/a / ext4\r\n', { spec: '/dev/b', file: '/b', vfstype: 'ext4' })).toBe(
      '/dev/a / ext4\r\n/dev/b /b ext4 defaults 0 0\r\n',
    );
    expect(addFstabEntry('', { spec: 'tmpfs', file: '/tmp', vfstype: 'tmpfs', options: 'size=1G' })).toBe('tmpfs /tmp tmpfs size=1G 0 0\n');
    expect(removeFstabEntry('/dev/a / ext4\n/dev/b /b ext4', '/b').text).toBe('/dev/a / ext4\n');
    expect(removeFstabEntry('/dev/a / ext4\r\n/dev/b /b ext4\r\n# x\r\n', '//b/').text).toBe('/dev/a / ext4\r\n# x\r\n');
    expect(canonicalMountpoint('//usr//local/./')).toBe('/usr/local');
    expect(formatEntry({ spec: 'a\\b', file: '/m n', vfstype: 'ext4', options: 'defaults', freq: 0, passno: 1 })).toBe(
      'a\\134b /m\\040n ext4 defaults 0 1',
    );
  });

  it('keeps non-UTF-8 bytes of the file', async () => {
    const raw = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from('\n/dev/a / ext4 defaults 0 1\n')]);
    writeFileSync(join(dir, 'etc/fstab'), raw);
    await jf([['fstab-add', 'LABEL=données', '/d', 'ext4']]);
    expect(readFileSync(join(dir, 'etc/fstab'))).toEqual(Buffer.concat([raw, Buffer.from('LABEL=données /d ext4 defaults 0 0\n')]));
  });
});

describe('grep family', () => {
  it('translates POSIX syntax', () => {
    const m = (pat: string, s: string, ext = false) => new RegExp(posixToRegExp(pat, ext)).test(s);
    expect(m('a\\(b\\)*c', 'abbc')).toBe(true);
    expect(m('a(b)c', 'a(b)c')).toBe(true); // literal in BRE
    expect(m('a(b)c', 'abc', true)).toBe(true);
    expect(m('x\\{2\\}', 'xx')).toBe(true);
    expect(m('x\\{2\\}', 'x{2}')).toBe(false);
    expect(m('x{2}', 'x{2}')).toBe(true);
    expect(m('*a', '*a')).toBe(true);
    expect(m('a|b', 'a|b')).toBe(true);
    expect(m('a\\|b', 'b')).toBe(true);
    expect(m('[[:digit:]]\\+', 'ab12')).toBe(true);
    expect(m('[]x]', ']')).toBe(true);
    expect(m('[^]x]', 'x')).toBe(false);
    expect(m('[a-c-]', '-')).toBe(true);
    expect(m('[\\]', '\\')).toBe(true); // backslash is literal in brackets
    expect(m('\\<root\\>', 'a root b')).toBe(true);
    expect(m('\\<root\\>', 'chroot')).toBe(false);
    expect(m('a$b', 'a$b')).toBe(true);
    expect(m('^a', 'ba')).toBe(false);
    expect(m('a{,2}b', 'b', true)).toBe(true);
    expect(m('.', '\r')).toBe(true);
    expect(() => compilePattern('a\\(', { syntax: 'basic' })).toThrow(/unmatched/);
    expect(() => compilePattern('[[:nope:]]', { syntax: 'basic' })).toThrow(/character class/);
  });

  it('C-locale matching: a byte is a character, -i folds ASCII only', () => {
    const re = compilePattern('caf.', { syntax: 'basic' });
    expect(re.test('caf\ue0c3')).toBe(true);
    const ri = compilePattern('É', { syntax: 'fixed', insensitive: true });
    expect(ri.test(bytesToMatchString(Buffer.from('xÉy')))).toBe(true);
    expect(ri.test(bytesToMatchString(Buffer.from('é')))).toBe(false); // not folded in the C locale
    expect(compilePattern('root', { syntax: 'basic', insensitive: true }).test('ROOT')).toBe(true);
  });

  it('grep, egrep, fgrep, -i, through the guest reader', async () => {
    expect(await jf([['grep', 'bash$', '/etc/passwd']])).toBe(
      'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n',
    );
    expect(await jf([['egrep', '^(root|daemon):', '/etc/passwd']])).toMatch(/^root:.*\ndaemon:.*\n$/);
    expect(await jf([['fgrep', 'Alice,,,', '/etc/passwd']])).toBe('alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n');
    expect(await jf([['grepi', 'ALICE', '/etc/passwd']])).toBe('alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n');
    expect(await jf([['fgrep', '.*', '/etc/passwd']])).toBe('');
    expect(await jf([['grep', 'nothing', '/etc/passwd']])).toBe('');
    expect(await jf([['grep', 'guest', '/hn']])).toBe('guest\n');
    await expect(jf([['grep', 'x', '/etc']])).rejects.toThrow('/etc: Is a directory');
    await expect(jf([['grep', 'x', '/escape/shadow']])).rejects.toThrow(/No such file/);
  });

  it('keeps the bytes of matching lines and the last line without a newline', async () => {
    writeFileSync(join(dir, 'bin.txt'), Buffer.from([0x61, 0xff, 0x0a, 0x62, 0x0a, 0x61, 0x7a]));
    const c = context();
    await runScript(c.ctx, [['grep', 'a', '/bin.txt']]);
    expect(Buffer.concat(c.out.chunks)).toEqual(Buffer.from([0x61, 0xff, 0x0a, 0x61, 0x7a, 0x0a]));
  });

  it('zgrep decompresses gzip, searches plain files as they are', async () => {
    expect(await jf([['zgrepi', 'error', '/var/log/syslog.1.gz']])).toBe('one error\nthree ERROR\n');
    expect(await jf([['zegrep', 'one|two', '/var/log/syslog.1.gz']])).toBe('one error\ntwo ok\n');
    expect(await jf([['zfgrep', 'root:x', '/etc/passwd']])).toBe('root:x:0:0:root:/root:/bin/bash\n');
    expect(await jf([['grep', 'error', '/var/log/syslog.1.gz']])).toBe('');
    writeFileSync(join(dir, 'bad.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
    await expect(jf([['zgrep', 'x', '/bad.gz']])).rejects.toThrow(/bad.gz/);
  });
});

describe.skipIf(!hasTool('file'))('file', () => {
  it('names node types and describes content', async () => {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    writeFileSync(join(dir, 'script'), '#!/bin/sh\necho hi\n');
    writeFileSync(join(dir, 'true'), readFileSync('/bin/true'));
    expect(await jf([['file', '/etc']])).toBe('directory\n');
    expect(await jf([['file', '/hn']])).toBe('symbolic link\n');
    expect(await jf([['file', '/fifo']])).toBe('fifo\n');
    expect(await jf([['file', '/etc/hostname']])).toBe('ASCII text\n');
    expect(await jf([['file', '/empty']])).toBe('empty\n');
    expect(await jf([['file', '/script']])).toMatch(/shell script/);
    expect(await jf([['file', '/true']])).toMatch(/^ELF 64-bit LSB .*, stripped\n$/);
    expect(await jf([['file', '/var/log/syslog.1.gz']])).toMatch(/ASCII text \(gzip compressed data/);
    await expect(jf([['file', '/escape/shadow']])).rejects.toThrow(/No such file/);
    if (root && existsSync('/dev/null')) {
      execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3']);
      expect(await jf([['file', '/null']])).toBe('character device\n');
    }
  });
});
