// Guest text on a terminal (issue 12, point 7): a hostile image names its files, its fstab
// entries, its os-release NAME/PRETTY_NAME and its filesystem label with ESC, BEL, CSI and OSC
// sequences and a one-character C1 CSI. Run under a real pseudo-terminal (pty-run.py), jfish
// (local, and remote through both --remote clients), jinspect, jwinreg (a hostile hive's key and
// value names, made with our own --merge) and the error line must put none of those bytes on the
// terminal, only their escaped forms; with stdout a pipe, the same commands give the guest's bytes
// exactly; `cat` of a file holding escapes gives it exactly even on the terminal. The terminal's
// transcript is the canary. Against the built bin/ tools; needs root.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot, waitProcessDead, type Snapshot } from './leftovers.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const bin = (tool: string) => join(repo, 'bin', tool);
const built = existsSync(join(repo, 'dist/bundle/jfish.mjs'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist/bundle/jfish.mjs is not built (run npm run build)' : !root ? 'needs root (loop devices, mounts)' : '';
if (skipReason) console.log(`skipping terminal escape tests: ${skipReason}`);

const ESC = '\x1b';
const BEL = '\x07';
const OSC_TITLE = `${ESC}]0;pwned${BEL}`; // set the window title
const CLEAR = `${ESC}[2J`; // clear the screen
const C1_CSI = '\u009b'; // CSI as one (C1) character, UTF-8 C2 9B

const FILE_OSC = `evil${OSC_TITLE}name`;
const FILE_CSI = `csi${CLEAR}x`;
const FILE_C1 = `c1${C1_CSI}31m`;
const PRODUCT = `Evil${CLEAR} Linux${BEL}`;
const FSTAB = `LABEL=r${CLEAR} / ext4 defaults 0 1\n/dev/sda2 /mnt${OSC_TITLE} ext4 defaults 0 2\n`;
const CONTENT = `A${ESC}[31mB${BEL}\n`;
/** What cat prints of it: the bytes, then guestfish's newline after a string. */
const CAT_OUT = `${CONTENT}\n`;
const MISSING = `/missing${CLEAR}`;

/** Any C0 control but LF and CR (a pty turns \n into \r\n), DEL, or a C1 control. */
const RAW_CONTROL = /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f\u0080-\u009f]/;

let dir = '';
let image = '';
let runDir = '';
let before: Snapshot;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { JOOT_CONFIG: '', JOOT_RUN_DIR: runDir, XDG_RUNTIME_DIR: '', JFISH_PID: '', TERM: 'xterm', ...extra };
}

/** Run a tool with stdout and stderr on a new pty: everything the terminal got, as text (and bytes). */
async function onTerminal(
  argv: string[],
  extra: Record<string, string> = {},
): Promise<{ screen: string; bytes: Buffer; exitCode: number | undefined }> {
  const r = await execa('python3', [join(here, 'pty-run.py'), JSON.stringify(argv)], {
    reject: false,
    env: env(extra),
    timeout: 120_000,
    cwd: dir,
  });
  const bytes = Buffer.from(r.stdout, 'base64');
  return { screen: bytes.toString('utf8').replace(/\r\n/g, '\n'), bytes, exitCode: r.exitCode };
}

/** Run a tool with stdout and stderr pipes: the bytes exactly. */
async function onPipe(argv: string[], extra: Record<string, string> = {}) {
  const r = await execa(argv[0]!, argv.slice(1), {
    reject: false,
    env: env(extra),
    timeout: 120_000,
    cwd: dir,
    encoding: 'buffer',
    stripFinalNewline: false,
  });
  return { stdout: Buffer.from(r.stdout).toString('utf8'), stderr: Buffer.from(r.stderr).toString('utf8'), exitCode: r.exitCode };
}

/** The image an attacker would hand over: one ext4 filesystem, hostile names everywhere. */
async function buildImage(): Promise<string> {
  const tree = join(dir, 'tree');
  for (const d of ['etc', 'bin', 'usr/bin']) mkdirSync(join(tree, d), { recursive: true });
  writeFileSync(join(tree, 'etc/os-release'), `NAME="Evil${OSC_TITLE}"\nPRETTY_NAME="${PRODUCT}"\nID=evil\nVERSION_ID=1\n`);
  writeFileSync(join(tree, 'etc/fstab'), FSTAB);
  for (const f of [FILE_OSC, FILE_CSI, FILE_C1]) writeFileSync(join(tree, f), '');
  writeFileSync(join(tree, 'content'), CONTENT);
  const img = join(dir, 'evil.raw');
  writeFileSync(img, '');
  await execa('truncate', ['-s', '64M', img]);
  await execa('mkfs.ext4', ['-q', '-F', '-L', `l${CLEAR}`, '-d', tree, img]);
  return img;
}

/** jfish commands showing every kind of guest text, then cat of the content. */
function commands(): string[] {
  return [
    'inspect-os',
    ':',
    'inspect-get-product-name',
    '/dev/sda',
    ':',
    'mount-ro',
    '/dev/sda',
    '/',
    ':',
    'ls',
    '/',
    ':',
    'll',
    '/',
    ':',
    'find',
    '/',
    ':',
    'fstab-list',
    ':',
    'cat',
    '/content',
  ];
}

/** What the terminal must show instead of the raw sequences. */
function expectEscapedForms(screen: string): void {
  expect(screen).toContain('evil\\e]0;pwned\\x07name');
  expect(screen).toContain('csi\\e[2Jx');
  expect(screen).toContain('c1\\u009b31m');
  expect(screen).toContain('Evil\\e[2J Linux\\x07');
  expect(screen).toContain('LABEL=r\\e[2J / ext4 defaults 0 1');
  expect(screen).toContain('/mnt\\e]0;pwned\\x07');
}

describe.skipIf(skipReason !== '')('guest text on a terminal', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'terminal-escapes-'));
    runDir = join(dir, 'run');
    image = await buildImage();
    before = await snapshot({ paths: [dir], runDir });
  }, 600_000);

  afterAll(async () => {
    if (dir) {
      await expectNoLeftovers(before);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('jfish on a terminal: names, fstab and product name escaped; cat content exact; the error line escaped', async () => {
    const ok = await onTerminal([bin('jfish'), '--ro', '-a', image, 'run', ':', ...commands()]);
    expect(ok.exitCode).toBe(0);
    expectEscapedForms(ok.screen);
    // cat is content: the one place the guest's escapes reach the terminal, as with guestfish
    expect(ok.screen.endsWith(CAT_OUT)).toBe(true);
    expect(ok.screen.slice(0, -CAT_OUT.length)).not.toMatch(RAW_CONTROL);

    const bad = await onTerminal([bin('jfish'), '--ro', '-a', image, 'run', ':', 'mount-ro', '/dev/sda', '/', ':', 'ls', MISSING]);
    expect(bad.exitCode).toBe(1);
    expect(bad.screen).not.toMatch(RAW_CONTROL);
    expect(bad.screen).toMatch(/^jfish: ls: \/missing\\e\[2J: [^\n]*\n$/);
  }, 120_000);

  it('jfish to a pipe: the same commands give the guest bytes exactly (errors stay escaped)', async () => {
    const r = await onPipe([bin('jfish'), '--ro', '-a', image, 'run', ':', ...commands()]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toEqual(expect.arrayContaining([FILE_OSC, FILE_CSI, FILE_C1, PRODUCT, 'LABEL=r\x1b[2J / ext4 defaults 0 1']));
    expect(r.stdout).toContain(`/mnt${OSC_TITLE} ext4`);
    expect(r.stdout.endsWith(CAT_OUT)).toBe(true);

    const bad = await onPipe([bin('jfish'), '--ro', '-a', image, 'run', ':', 'mount-ro', '/dev/sda', '/', ':', 'ls', MISSING]);
    expect(bad.stderr).toMatch(/^jfish: ls: \/missing\\e\[2J: [^\n]*\n$/);
    expect(bad.exitCode).toBe(1);
  }, 120_000);

  it('jfish --remote: escaped for the client terminal (both clients), exact to a pipe', async () => {
    const listen = await onPipe([bin('jfish'), '--listen', '-a', image, '--ro']);
    expect(listen.stderr).toBe('');
    const m = /^JFISH_PID=(\d+); export JFISH_PID\n$/.exec(listen.stdout);
    expect(m, listen.stdout).not.toBeNull();
    const pid = Number(m![1]);
    const pidEnv = { JFISH_PID: String(pid) };
    try {
      expect((await onPipe([bin('jfish'), '--remote', 'run', ':', ...commands()], pidEnv)).exitCode).toBe(0);
      for (const client of ['', 'node']) {
        const e = { ...pidEnv, JFISH_REMOTE_CLIENT: client };
        const t = await onTerminal(
          [bin('jfish'), '--remote', 'ls', '/', ':', 'fstab-list', ':', 'inspect-get-product-name', '/dev/sda', ':', 'cat', '/content'],
          e,
        );
        expect(t.exitCode, client).toBe(0);
        expect(t.screen).toContain('evil\\e]0;pwned\\x07name');
        expect(t.screen).toContain('/mnt\\e]0;pwned\\x07');
        expect(t.screen).toContain('Evil\\e[2J Linux\\x07');
        expect(t.screen.endsWith(CAT_OUT)).toBe(true);
        expect(t.screen.slice(0, -CAT_OUT.length)).not.toMatch(RAW_CONTROL);
        const err = await onTerminal([bin('jfish'), '--remote', 'ls', MISSING], e);
        expect(err.exitCode).toBe(1);
        expect(err.screen).not.toMatch(RAW_CONTROL);

        const p = await onPipe([bin('jfish'), '--remote', 'ls', '/', ':', 'inspect-get-product-name', '/dev/sda'], e);
        expect(p.stdout.split('\n')).toEqual(expect.arrayContaining([FILE_OSC, FILE_CSI, FILE_C1, PRODUCT]));
      }
    } finally {
      await onPipe([bin('jfish'), '--remote', 'exit'], pidEnv);
      await waitProcessDead(pid);
    }
  }, 240_000);

  it('jinspect: JSON and XML carry the guest strings without one raw control, on a terminal or not', async () => {
    const t = await onTerminal([bin('jinspect'), image]);
    expect(t.exitCode).toBe(0);
    expect(t.screen).not.toMatch(RAW_CONTROL);
    const j = await onPipe([bin('jinspect'), image]);
    expect(j.stdout).not.toMatch(RAW_CONTROL);
    const report = JSON.parse(j.stdout) as { operatingsystems: { product_name?: string }[] };
    expect(report.operatingsystems[0]?.product_name).toBe(PRODUCT);
    const x = await onTerminal([bin('jinspect'), '--xml', image]);
    expect(x.exitCode).toBe(0);
    expect(x.screen).not.toMatch(RAW_CONTROL);
  }, 120_000);

  it('jwinreg: key and value names and string data from a hostile hive, escaped on a terminal, exact to a pipe', async () => {
    const win = join(dir, 'win10.raw');
    copyFileSync(await fixture('win10.raw'), win);
    // the attacker's hive, written with our own .reg merge
    const reg = join(dir, 'evil.reg');
    writeFileSync(
      reg,
      `Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Evil${OSC_TITLE}]\r\n"v${CLEAR}"="data${CLEAR}${BEL}"\r\n`,
    );
    const merge = await onPipe([bin('jwinreg'), '--merge', win, reg]);
    expect(merge.stderr).toBe('');
    expect(merge.exitCode).toBe(0);
    const key = `HKLM\\SOFTWARE\\Evil${OSC_TITLE}`;

    const t = await onTerminal([bin('jwinreg'), win, 'HKLM\\SOFTWARE']);
    expect(t.exitCode).toBe(0);
    expect(t.screen).toContain('\\Evil\\e]0;pwned\\x07]\n"v\\e[2J"="data\\e[2J\\x07"');
    expect(t.screen).not.toMatch(RAW_CONTROL);
    const v = await onTerminal([bin('jwinreg'), win, key, `v${CLEAR}`]);
    expect([v.screen, v.exitCode]).toEqual(['data\\e[2J\\x07\n', 0]);
    const u = await onTerminal([bin('jwinreg'), '--export', '--utf16', win, key]);
    expect(u.exitCode).toBe(0);
    expect(u.bytes.includes(0x1b)).toBe(false);
    expect(u.bytes.includes(0x07)).toBe(false);

    const p = await onPipe([bin('jwinreg'), win, key, `v${CLEAR}`]);
    expect(p.stdout).toBe(`data${CLEAR}${BEL}\n`);
    const k = await onPipe([bin('jwinreg'), win, 'HKLM\\SOFTWARE']);
    expect(k.stdout).toContain(`\\Evil${OSC_TITLE}]\n"v${CLEAR}"="data${CLEAR}${BEL}"`);
  }, 120_000);
});
