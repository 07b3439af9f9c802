// The pieces of jfish's remote mode that need no server: argument reading, frames, and the
// socket directory checks (see src/tools/jfish/remote.ts).
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRemoteArgs } from '../../src/tools/jfish/remote-client.js';
import { FrameReader, frame, prepareSocketDir, socketDirs, unsafeDir } from '../../src/tools/jfish/remote.js';

const tmp = mkdtempSync(join(tmpdir(), 'jfish-remote-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('parseRemoteArgs', () => {
  it('takes the pid from --remote=PID, else JFISH_PID, and splits commands on :', () => {
    expect(parseRemoteArgs(['--remote=12', 'ls', '/', ':', 'echo', 'a'], { JFISH_PID: '99' })).toEqual({
      pid: 12,
      commands: [
        ['ls', '/'],
        ['echo', 'a'],
      ],
    });
    expect(parseRemoteArgs(['--remote', 'cat', '-x'], { JFISH_PID: '99' })).toEqual({ pid: 99, commands: [['cat', '-x']] });
    expect(parseRemoteArgs(['--remote', '--', '-weird'], { JFISH_PID: '7' })).toEqual({ pid: 7, commands: [['-weird']] });
  });
  it('refuses a missing or bad pid, other options and no commands', () => {
    expect(() => parseRemoteArgs(['--remote', 'ls'], {})).toThrow(/no server given: set JFISH_PID/);
    expect(() => parseRemoteArgs(['--remote', 'ls'], { JFISH_PID: '12x' })).toThrow("JFISH_PID '12x' is not a process id");
    expect(() => parseRemoteArgs(['--remote=0', 'ls'], {})).toThrow(/is not a process id/);
    expect(() => parseRemoteArgs(['--remote', '-a', 'x.img', 'ls'], { JFISH_PID: '5' })).toThrow(/only --remote\[=PID\]/);
    expect(() => parseRemoteArgs(['--remote'], { JFISH_PID: '5' })).toThrow(/no commands given/);
  });
});

describe('frames', () => {
  it('survive any split of the byte stream, binary payloads included', () => {
    const bin = Buffer.from([0, 255, 10, 13, 0x4f]);
    const stream = Buffer.concat([frame(0x4f, bin), frame(0x45, 'err\n'), frame(0x44, '{"status":1,"ms":0.5}')]);
    for (let step = 1; step <= stream.length; step++) {
      const got: [number, string][] = [];
      const r = new FrameReader((t, p) => got.push([t, p.toString('hex')]));
      for (let i = 0; i < stream.length; i += step) r.push(stream.subarray(i, i + step));
      expect(got).toEqual([
        [0x4f, bin.toString('hex')],
        [0x45, Buffer.from('err\n').toString('hex')],
        [0x44, Buffer.from('{"status":1,"ms":0.5}').toString('hex')],
      ]);
    }
  });
});

describe('socket directory', () => {
  it('uses $XDG_RUNTIME_DIR/jfish only when that is ours with mode 0700', () => {
    const xdg = join(tmp, 'xdg');
    mkdirSync(xdg, { mode: 0o700 });
    chmodSync(xdg, 0o700);
    expect(socketDirs({ XDG_RUNTIME_DIR: xdg, JOOT_RUN_DIR: join(tmp, 'run') })).toEqual([join(xdg, 'jfish'), join(tmp, 'run', 'jfish')]);
    chmodSync(xdg, 0o755);
    expect(socketDirs({ XDG_RUNTIME_DIR: xdg, JOOT_RUN_DIR: join(tmp, 'run') })).toEqual([join(tmp, 'run', 'jfish')]);
  });
  it('creates the fallback 0700 and refuses one that others can reach', () => {
    const run = join(tmp, 'run2');
    const dir = prepareSocketDir({ JOOT_RUN_DIR: run });
    expect(dir).toBe(join(run, 'jfish'));
    expect(unsafeDir(dir)).toBeUndefined();
    chmodSync(dir, 0o777);
    expect(() => prepareSocketDir({ JOOT_RUN_DIR: run })).toThrow(/accessible to other users/);
  });
});
