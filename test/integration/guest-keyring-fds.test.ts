// Issue 12, point 3: a guest program inherits none of the caller's kernel keyrings nor its open
// file descriptors. The test puts a key in its session keyring and one in root's user keyring,
// holds a descriptor on a host directory with a secret file in it (fd 50, as a shell's
// `exec 50</dir` leaves it: no CLOEXEC), and runs the attacker's prober (built here, static)
// through `jfish command`, `jfish sh` and `joot enter` with and without a terminal. The prober
// reads every keyring it can name (the special ones, the keys' ids, request_key by
// description, /proc/keys) and fstat/fchdir/reads every fd 3..1024. The same prober run on the
// host (the control) finds all of it, so the test sees a leak when there is one.
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileStatic, JFISH, JOOT, jootWith, onTerminal, skipReason, spawnWith, type Joot } from './guest-attack.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

if (skipReason) console.log(`skipping guest keyring and fd tests: ${skipReason}`);

const PROBER = String.raw`
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#define KEYCTL_DESCRIBE 6
#define KEYCTL_SEARCH 10
#define KEYCTL_READ 11
static int found;
static void key(long id, const char *what) {
  char buf[1024];
  long n = syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof buf - 1, 0);
  if (n >= 0) { buf[n < (long)sizeof buf - 1 ? n : (long)sizeof buf - 1] = 0; printf("FOUND read %s (%ld): %.*s\n", what, id, (int)(n > 200 ? 200 : n), buf); found++; }
  n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, buf, sizeof buf - 1, 0);
  if (n >= 0) { buf[sizeof buf - 1] = 0; printf("FOUND describe %s (%ld): %s\n", what, id, buf); found++; }
}
int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  const char *names[] = {"thread", "process", "session", "user", "user-session"};
  for (int i = 0; i < 5; i++) key(-1 - i, names[i]);
  // argv: the secret file's name, then descriptions and ids of the test's keys
  for (int i = 2; i < argc; i++) {
    char *end;
    long id = strtol(argv[i], &end, 10);
    if (*end == 0) { key(id, "by id"); continue; }
    long r = syscall(SYS_request_key, "user", argv[i], NULL, 0);
    if (r >= 0) { printf("FOUND request_key %s: %ld\n", argv[i], r); found++; key(r, argv[i]); }
    for (long ring = -1; ring >= -5; ring--) {
      r = syscall(SYS_keyctl, KEYCTL_SEARCH, ring, "user", argv[i], 0);
      if (r >= 0) { printf("FOUND search %s in %ld: %ld\n", argv[i], ring, r); found++; key(r, argv[i]); }
    }
  }
  FILE *pk = fopen("/proc/keys", "r");
  if (pk) {
    char line[512];
    while (fgets(line, sizeof line, pk)) for (int i = 2; i < argc; i++) if (strstr(line, argv[i])) { printf("FOUND /proc/keys: %s", line); found++; }
    fclose(pk);
  }
  int here = open(".", O_RDONLY | O_DIRECTORY);
  for (int fd = 3; fd <= 1024; fd++) {
    if (fd == here) continue;
    struct stat st;
    if (fstat(fd, &st) != 0) continue;
    char link[64], target[512] = "";
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n > 0) target[n] = 0;
    printf("FOUND fd %d open: %s\n", fd, target);
    found++;
    if (fchdir(fd) == 0) {
      int s = open(argv[1], O_RDONLY);
      char buf[256];
      ssize_t m = s >= 0 ? read(s, buf, sizeof buf - 1) : -1;
      if (m > 0) { buf[m] = 0; printf("FOUND through fd %d: %s\n", fd, buf); }
      if (s >= 0) close(s);
      fchdir(here);
    }
  }
  printf("probe done: %d found\n", found);
  return 0;
}
`;

let dir = '';
let prober = '';
let hostDir = '';
let j: Joot;
let before: Snapshot;
const tag = `jtest-${process.pid}-${Date.now()}`;
const keys = { user: '' };
// every run below is in a new session keyring of its own, as a login session's: a key in it,
// and root's user keyring linked to it (so the user key is possessed, readable)
const inSession = (argv: string[]) => [
  'session',
  '-',
  'sh',
  '-c',
  `keyctl add user ${tag}-s KEY-SECRET-SESSION @s >/dev/null && keyctl link @u @s && exec "$@"`,
  'sh',
  ...argv,
];

const withFd50 = (fd: number, cmd: string, args: string[], env: Record<string, string> = {}) => spawnWith(cmd, args, env, fd);

describe.skipIf(skipReason !== '')('guest programs and the caller keyrings and descriptors', () => {
  let dirFd = -1;
  let args: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'joot-keys-'));
    before = await snapshot({ paths: [dir], runDir: join(dir, 'run') });
    hostDir = join(dir, 'host-secrets');
    mkdirSync(hostDir);
    writeFileSync(join(hostDir, 'secret.txt'), 'HOST-FILE-SECRET');
    prober = await compileStatic(dir, 'prober', PROBER);
    j = await jootWith(dir, { '/usr/local/bin/jprobe': prober });
    // a key in root's user keyring (the session's is added by each run: inSession)
    keys.user = (await execa('keyctl', ['add', 'user', `${tag}-u`, 'KEY-SECRET-USER', '@u'])).stdout.trim();
    dirFd = openSync(hostDir, 'r');
    args = ['secret.txt', `${tag}-s`, `${tag}-u`, keys.user];
  }, 300_000);

  afterAll(async () => {
    if (dirFd >= 0) closeSync(dirFd);
    if (keys.user) await execa('keyctl', ['unlink', keys.user, '@u'], { reject: false });
    if (!dir) return;
    await execa(JOOT, ['cleanup'], { reject: false, env: j?.env ?? {} });
    await expectNoLeftovers(before, { timeoutMs: 10_000 });
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const clean = (out: string) => {
    expect(out).toContain('probe done: 0 found');
    expect(out).not.toMatch(/FOUND|KEY-SECRET|HOST-FILE-SECRET/);
  };

  it('control: on the host the prober finds both keys and the directory behind fd 50', async () => {
    const r = await withFd50(dirFd, 'keyctl', inSession([prober, ...args]));
    expect(r.stdout).toContain('KEY-SECRET-SESSION');
    expect(r.stdout).toContain('KEY-SECRET-USER');
    expect(r.stdout).toContain('FOUND through fd 50: HOST-FILE-SECRET');
  });

  it('jfish command and jfish sh: no keyring, no descriptor above 2', async () => {
    const run = { JOOT_RUN_DIR: j.env.JOOT_RUN_DIR! };
    const c = await withFd50(
      dirFd,
      'keyctl',
      inSession([JFISH, '-a', j.image, '-i', 'command', ['/usr/local/bin/jprobe', ...args].join(' ')]),
      run,
    );
    expect(c.exitCode, c.stderr).toBe(0);
    clean(c.stdout);
    const s = await withFd50(
      dirFd,
      'keyctl',
      inSession([JFISH, '-a', j.image, '-i', 'sh', `/usr/local/bin/jprobe ${args.join(' ')}; cat /proc/keys /proc/key-users; echo end`]),
      run,
    );
    expect(s.exitCode, s.stderr).toBe(0);
    clean(s.stdout);
    expect(s.stdout).toMatch(/probe done: 0 found\nend\n{0,2}$/);
  }, 180_000);

  it('joot enter without a terminal: the same', async () => {
    const r = await withFd50(dirFd, 'keyctl', inSession([JOOT, 'enter', 't', '--', '/usr/local/bin/jprobe', ...args]), j.env);
    expect(r.exitCode, r.stderr).toBe(0);
    clean(r.stdout);
    // the host's keys are out of sight in /proc too
    const s = await withFd50(dirFd, JOOT, ['enter', 't', '--', 'sh', '-c', 'cat /proc/keys; echo keys-$?'], j.env);
    expect(s.stdout).toBe('keys-0');
  }, 180_000);

  it('joot enter on a terminal: the same', async () => {
    const r = await onTerminal(['keyctl', ...inSession([JOOT, 'enter', 't', '--', '/usr/local/bin/jprobe', ...args])], [['', 'eof']], {
      env: j.env,
      fd50: dirFd,
    });
    expect(r.exitCode, r.stdout).toBe(0);
    clean(r.stdout);
  }, 180_000);
});
