// guestfish's commands that create, link, resize or stamp guest nodes beyond files.ts's (ln,
// ln-f, rm-f, mkdir-mode, mknod and its short forms, mkmountpoint, mktemp, write-file, truncate,
// fallocate64, utimens) and the session's umask and sync. All go through the session's
// guest-rooted writer: parents resolve inside the guest, a read-only session refuses them.
// Nodes are created with their mode less the session's umask (022 until `umask` changes it),
// as guestfish's daemon does.
import { allocate, hardLink, makeNode, makeTemp, setTimes, truncateTo } from '../../appliance/guest-node-writes.js';
import { JootError } from '../../core/errors.js';
import { run } from '../../core/run.js';
import { getUmask, octal, setUmask } from '../guest-umask.js';
import { defineOp, type OpTest } from '../op.js';

function linkOp<const N extends string>(name: N, force: boolean, tests: readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: [
      { name: 'target', type: 'path' },
      { name: 'linkname', type: 'path' },
    ],
    returns: 'none',
    needsLaunch: true,
    writes: true,
    summary: force ? 'create a hard link, replacing what is there' : 'create a hard link',
    description: `Make linkname a hard link to the file target (both in the guest, on one filesystem). A
      symlink target is linked itself, as link(2) does.${force ? ' An existing non-directory at linkname is replaced.' : ''}`,
    async impl(ctx, [target, linkname]) {
      await hardLink(ctx.session.writer, target, linkname, { force });
      return undefined;
    },
    tests,
  });
}

export const ln = linkOp('ln', false, [
  {
    from: 'libguestfs',
    setup: [
      ['mkdir', '/ln'],
      ['touch', '/ln/a'],
    ],
    args: ['/ln/a', '/ln/b'],
    check: { run: ['stat', '/ln/b'], expect: /^nlink: 2$/m },
  },
  {
    setup: [
      ['touch', '/a'],
      ['touch', '/b'],
    ],
    args: ['/a', '/b'],
    error: /\/b: File exists/,
  },
  { args: ['/nope', '/b'], error: /\/nope: No such file or directory/ },
  { readonly: true, args: ['/a', '/b'], error: /read-only/ },
]);
export const lnF = linkOp('ln-f', true, [
  {
    from: 'libguestfs',
    setup: [
      ['mkdir', '/ln_f'],
      ['touch', '/ln_f/a'],
      ['touch', '/ln_f/b'],
    ],
    args: ['/ln_f/a', '/ln_f/b'],
    check: { run: ['stat', '/ln_f/b'], expect: /^nlink: 2$/m },
  },
  {
    setup: [
      ['touch', '/a'],
      ['mkdir', '/d'],
    ],
    args: ['/a', '/d'],
    error: /\/d: Is a directory/,
  },
]);

export const rmF = defineOp({
  name: 'rm-f',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'remove a file, no error if it does not exist',
  description: `Remove the file (a symlink itself, not its target); nothing happens if it does not exist. A
    directory is refused: use rmdir or rm-rf.`,
  async impl(ctx, [p]) {
    if (await ctx.session.reader.isDir(p)) {
      const self = await ctx.session.reader.node(p, { followLast: false });
      if ((self.stat.mode & 0o170000) === 0o040000) throw new JootError('EINVAL', `${p}: Is a directory`);
    }
    await ctx.session.writer.rm(p, { force: true });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [
          ['mkdir', '/rm_f'],
          ['touch', '/rm_f/foo'],
          ['rm-f', '/rm_f/foo'],
        ],
        args: ['/rm_f/not_exists'],
        check: { run: ['exists', '/rm_f/foo'], expect: 'false' },
      },
      {
        from: 'libguestfs',
        setup: [
          ['mkdir', '/rm_f2'],
          ['mkdir', '/rm_f2/foo'],
        ],
        args: ['/rm_f2/foo'],
        error: /\/rm_f2\/foo: Is a directory/,
      },
    ];
  },
});

export const mkdirMode = defineOp({
  name: 'mkdir-mode',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'mode', type: 'int' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create a directory with the given permissions',
  description: `Create the directory with the permission bits mode less the session's umask (see umask;
    022 by default, so 0777 gives 0755). Write the mode in octal with a leading 0. The parent must
    exist.`,
  async impl(ctx, [p, mode]) {
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new JootError('EINVAL', `${p}: invalid mode ${mode}`);
    const w = ctx.session.writer;
    await w.mkdir(p);
    // mkdir(2) keeps the sticky bit but not set-id bits it is given
    await w.chmod(mode & 0o1777 & ~getUmask(ctx.session), p);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: ['/mkdir_mode', '0111'], check: { run: ['stat', '/mkdir_mode'], expect: /^mode: 16457$/m } },
      {
        args: ['/d', '0777'],
        check: { run: ['stat', '/d'], expect: /^mode: 16877$/m },
        title: 'mkdir-mode 0777 with umask 022 makes 0755',
      },
      {
        setup: [['umask', '0']],
        args: ['/d', '0711'],
        check: { run: ['stat', '/d'], expect: /^mode: 16841$/m },
      },
      { args: ['/a/b', '0777'], error: /\/a\/b: No such file or directory/ },
    ];
  },
});

const S_IFIFO = 0o010000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

export const mknod = defineOp({
  name: 'mknod',
  group: 'files',
  args: [
    { name: 'mode', type: 'int' },
    { name: 'devmajor', type: 'int' },
    { name: 'devminor', type: 'int' },
    { name: 'path', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create a device node or FIFO',
  description: `Create a special file. mode holds the type (S_IFIFO 010000, S_IFCHR 020000, S_IFBLK 060000,
    S_IFSOCK 0140000, or S_IFREG 0100000 for an empty file) or'ed with the permission bits, which are set less the
    session's umask; devmajor and devminor name the device (ignored for a FIFO). The node is made
    in the guest's filesystem; it is never opened.`,
  async impl(ctx, [mode, major, minor, p]) {
    await makeNode(ctx.session.writer, mode, major, minor, p, getUmask(ctx.session));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        args: ['0010777', '0', '0', '/node'],
        check: { run: ['stat', '/node'], expect: /^mode: 4589$/m },
        title: 'mknod of a FIFO, mode 0777 less umask 022',
      },
      {
        from: 'libguestfs',
        args: ['060777', '66', '99', '/mknod2'],
        check: { run: ['stat', '/mknod2'], expect: /^mode: 25069$/m },
      },
      { args: ['0020644', '1', '3', '/c'], check: { run: ['ll', '/'], expect: /^crw-r--r-- +1 root root +1, +3 .{12} c$/m } },
      { setup: [['touch', '/f']], args: ['0010777', '0', '0', '/f'], error: /\/f: File exists/ },
      { args: ['0140777', '0', '0', '/s'], check: { run: ['is-socket', '/s'], expect: 'true' }, title: 'mknod of a socket' },
      {
        args: ['0140750', '0', '0', '/s'],
        check: { run: ['stat', '/s'], expect: /^mode: 49640$/m },
        title: 'a socket gets its mode less umask',
      },
      { args: ['0170777', '0', '0', '/x'], error: /\/x: mknod makes/ },
    ];
  },
});

/** The short forms of mknod take permission bits only, as guestfish's do. */
function permissionsOnly(mode: number, p: string): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)
    throw new JootError('EINVAL', `${p}: mode must specify only file permission bits`);
  return mode;
}

function mknodShort<const N extends string>(name: N, type: number, what: string, tests: readonly OpTest[]) {
  return defineOp({
    name,
    group: 'files',
    args: [
      { name: 'mode', type: 'int' },
      { name: 'devmajor', type: 'int' },
      { name: 'devminor', type: 'int' },
      { name: 'path', type: 'path' },
    ],
    returns: 'none',
    needsLaunch: true,
    writes: true,
    summary: `create a ${what}`,
    description: `mknod with the ${what} type added to mode, which must hold only permission bits (set less
      the session's umask).`,
    async impl(ctx, [mode, major, minor, p]) {
      await makeNode(ctx.session.writer, permissionsOnly(mode, p) | type, major, minor, p, getUmask(ctx.session));
      return undefined;
    },
    tests,
  });
}

export const mknodB = mknodShort('mknod-b', S_IFBLK, 'block device node', [
  {
    from: 'libguestfs',
    args: ['0777', '99', '66', '/mknod_b'],
    check: { run: ['stat', '/mknod_b'], expect: /^mode: 25069\n(.*\n){3}rdev: 25410$/m },
  },
  { from: 'libguestfs', args: ['010777', '99', '66', '/mknod_b-2'], error: /only file permission bits/ },
]);
export const mknodC = mknodShort('mknod-c', S_IFCHR, 'character device node', [
  {
    from: 'libguestfs',
    args: ['0777', '99', '66', '/mknod_c'],
    check: { run: ['stat', '/mknod_c'], expect: /^mode: 8685$/m },
  },
  { from: 'libguestfs', args: ['020777', '99', '66', '/mknod_c-2'], error: /only file permission bits/ },
]);

export const mkfifo = defineOp({
  name: 'mkfifo',
  group: 'files',
  args: [
    { name: 'mode', type: 'int' },
    { name: 'path', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create a FIFO, a named pipe',
  description: `Create a FIFO with the permission bits mode (only those) less the session's umask: mknod
    with S_IFIFO.`,
  async impl(ctx, [mode, p]) {
    await makeNode(ctx.session.writer, permissionsOnly(mode, p) | S_IFIFO, 0, 0, p, getUmask(ctx.session));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        args: ['0777', '/mkfifo'],
        check: { run: ['stat', '/mkfifo'], expect: /^mode: 4589$/m },
      },
      { readonly: true, args: ['0777', '/p'], error: /read-only/ },
      { from: 'libguestfs', args: ['020777', '/mkfifo-2'], error: /only file permission bits/ },
    ];
  },
});

async function hasRootMount(ctx: { session: { mountpoints(): { mountpoint: string }[] } }): Promise<void> {
  if (!ctx.session.mountpoints().some((m) => m.mountpoint === '/')) {
    throw new JootError('ESTATE', 'jfish mounts a filesystem on / first: make mount points in it after that');
  }
}

export const mkmountpoint = defineOp({
  name: 'mkmountpoint',
  group: 'mount',
  args: [{ name: 'exemptpath', type: 'path' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create a directory to mount a filesystem on',
  description: `Create the directory exemptpath to mount a further filesystem on (guestfish uses it to
    unpack nested live CD images: mount /dev/sda /cd, mount-loop /cd/LiveOS/squashfs.img /sqsh).
    Unlike guestfish, jfish has no mount points outside the guest: a filesystem must be mounted on
    / first, and the directory is made in it.`,
  async impl(ctx, [p]) {
    await hasRootMount(ctx);
    await ctx.session.writer.mkdir(p);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { args: ['/cd'], check: { run: ['is-dir', '/cd'], expect: 'true' } },
      { disk: 'disk', args: ['/cd'], error: /mounts a filesystem on \/ first/ },
    ];
  },
});

export const rmmountpoint = defineOp({
  name: 'rmmountpoint',
  group: 'mount',
  args: [{ name: 'exemptpath', type: 'path' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'remove a mount point made by mkmountpoint',
  description: `Remove the (empty, unmounted) directory made by mkmountpoint.`,
  async impl(ctx, [p]) {
    await hasRootMount(ctx);
    if (ctx.session.mountpoints().some((m) => m.mountpoint === (p.replace(/\/+$/, '') || '/'))) {
      throw new JootError('EBUSY', `${p}: a filesystem is mounted there`);
    }
    await ctx.session.writer.rmdir(p);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { setup: [['mkmountpoint', '/cd']], args: ['/cd'], check: { run: ['exists', '/cd'], expect: 'false' } },
      { args: ['/'], error: /\/: a filesystem is mounted there/ },
    ];
  },
});

export const mktemp = defineOp({
  name: 'mktemp',
  group: 'files',
  args: [
    { name: 'tmpl', type: 'path' },
    { name: 'suffix', type: 'string', optional: true, named: true },
  ],
  returns: 'string',
  needsLaunch: true,
  writes: true,
  summary: 'create a new empty file with a unique name',
  description: `Create a new empty file (mode 0600) whose name is tmpl with its last six characters, which
    must be XXXXXX, replaced by random letters and digits, then suffix if given; print its path.`,
  async impl(ctx, [tmpl, suffix]) {
    return makeTemp(ctx.session.writer, tmpl, suffix ?? '');
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [
          ['mkdir', '/mktemp'],
          ['mktemp', '/mktemp/tmpXXXXXX'],
        ],
        args: ['/mktemp/tmpXXXXXX', 'suffix:suff'],
        expect: /^\/mktemp\/tmp[A-Za-z0-9]{6}suff\n?$/,
      },
      { args: ['/tmpXXXXXX'], expect: /^\/tmp[A-Za-z0-9]{6}\n$/ },
      { args: ['/tmpXXXXXX', 'suffix:.txt'], expect: /^\/tmp[A-Za-z0-9]{6}\.txt\n$/ },
      { args: ['/tmp'], error: /must end in XXXXXX/ },
    ];
  },
});

export const writeFile = defineOp({
  name: 'write-file',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'content', type: 'string' },
    { name: 'size', type: 'int' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create a file holding the first size bytes of content; deprecated, use write',
  description: `Write the first size bytes of content (its UTF-8 bytes) to the file, creating or truncating
    it; size 0 writes all of content. Deprecated in guestfish in favour of write.`,
  async impl(ctx, [p, content, size]) {
    const bytes = Buffer.from(content, 'utf8');
    if (!Number.isInteger(size) || size < 0 || size > bytes.length) {
      throw new JootError('EINVAL', `${p}: size must be between 0 and the length of content (${bytes.length})`);
    }
    await ctx.session.writer.write(p, size === 0 ? bytes : bytes.subarray(0, size));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: ['/write_file', 'abc', '10000'], error: /size must be between/, title: 'a size past the content fails' },
      { args: ['/new', 'new file contents', '0'], check: { run: ['cat', '/new'], expect: 'new file contents' } },
      { args: ['/new', 'abcdef', '3'], check: { run: ['cat', '/new'], expect: 'abc' } },
      { args: ['/new', 'abc', '4'], error: /size must be between/ },
    ];
  },
});

export const truncate = defineOp({
  name: 'truncate',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'truncate a file to zero size',
  description: `Truncate the existing file to 0 bytes (a final symlink is followed inside the guest).`,
  async impl(ctx, [p]) {
    await truncateTo(ctx.session.writer, p, 0);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [['write', '/truncate', 'some stuff so size is not zero']],
        args: ['/truncate'],
        check: { run: ['filesize', '/truncate'], expect: '0' },
      },
      { args: ['/nope'], error: /\/nope: No such file or directory/ },
    ];
  },
});

export const truncateSize = defineOp({
  name: 'truncate-size',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'size', type: 'int64' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the size of a file',
  description: `Set the size of the existing file to size bytes: it is cut, or extended with a hole that
    reads as zeros (a final symlink is followed inside the guest).`,
  async impl(ctx, [p, size]) {
    await truncateTo(ctx.session.writer, p, size);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [['touch', '/truncate_size']],
        args: ['/truncate_size', '1000'],
        check: { run: ['filesize', '/truncate_size'], expect: '1000' },
      },
      {
        setup: [
          ['write', '/t', 'hello'],
          ['ln-s', '/t', '/l'],
        ],
        args: ['/l', '2'],
        title: 'truncate-size follows a final symlink inside the guest',
        check: { run: ['cat', '/t'], expect: 'he' },
      },
      { setup: [['mkfifo', '0777', '/p']], args: ['/p', '0'], error: /\/p: not a regular file/ },
      {
        setup: [['mknod-c', '0666', '1', '3', '/null']],
        args: ['/null', '0'],
        title: 'truncate-size refuses a guest device node without opening it',
        error: /\/null: not a regular file/,
      },
    ];
  },
});

export const fallocate64 = defineOp({
  name: 'fallocate64',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'len', type: 'int64' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create a file of the given size, its blocks allocated',
  description: `Create the file (or replace what an existing one holds) with len zero bytes whose blocks are
    allocated, as posix_fallocate(3) does; where the filesystem cannot allocate, the size is still
    set.`,
  async impl(ctx, [p, len]) {
    await allocate(ctx.session.writer, p, len);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: ['/fallocate64', '1000000'], check: { run: ['filesize', '/fallocate64'], expect: '1000000' } },
      { setup: [['write', '/f', 'data']], args: ['/f', '4096'], check: { run: ['is-zero', '/f'], expect: 'true' } },
      { setup: [['mkfifo', '0777', '/p']], args: ['/p', '10'], error: /\/p: not a regular file/ },
      { disk: 'fs:ext4', args: ['/f', '1048576'], title: 'fallocate64 allocates the blocks', check: { run: ['du', '/f'], expect: '1024' } },
    ];
  },
});

export const utimens = defineOp({
  name: 'utimens',
  group: 'files',
  args: [
    { name: 'path', type: 'path' },
    { name: 'atsecs', type: 'int64' },
    { name: 'atnsecs', type: 'int64' },
    { name: 'mtsecs', type: 'int64' },
    { name: 'mtnsecs', type: 'int64' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the access and modification times with nanoseconds',
  description: `Set the file's access time (atsecs, atnsecs) and modification time (mtsecs, mtnsecs) in
    seconds and nanoseconds since the epoch. A nanoseconds value of -1 sets that time to now, -2
    leaves it as it is (the seconds are then ignored). A symlink gets the times itself.`,
  async impl(ctx, [p, as, an, ms, mn]) {
    await setTimes(ctx.session.writer, p, { sec: as, nsec: an }, { sec: ms, nsec: mn });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [['touch', '/utimens-file']],
        args: ['/utimens-file', '12345', '67890', '9876', '5432'],
        check: {
          run: ['statns', '/utimens-file'],
          expect: /^st_atime_sec: 12345\nst_atime_nsec: 67890\nst_mtime_sec: 9876\nst_mtime_nsec: 5432$/m,
        },
      },
      {
        from: 'libguestfs',
        setup: [['mkdir', '/utimens-dir']],
        args: ['/utimens-dir', '12345', '67890', '9876', '5432'],
        check: { run: ['stat', '/utimens-dir'], expect: /^mtime: 9876$/m },
      },
      ...(
        [
          [['mkfifo', '0644', '/utimens-fifo']],
          // libguestfs's scratch disk still holds the file its first utimens test stamped
          [
            ['touch', '/utimens-file'],
            ['utimens', '/utimens-file', '12345', '67890', '9876', '5432'],
            ['ln-sf', '/utimens-file', '/utimens-link'],
          ],
          [['mknod-b', '0644', '8', '0', '/utimens-block']],
          [['mknod-c', '0644', '1', '3', '/utimens-char']],
        ] as const
      ).map((setup) => {
        const node = setup[setup.length - 1]!.at(-1)!;
        return {
          from: 'libguestfs' as const,
          setup,
          args: [node, '12345', '67890', '9876', '5432'],
          check: { run: ['stat', node], expect: /^mtime: 9876$/m },
        };
      }),
      {
        setup: [
          ['touch', '/t'],
          ['utimens', '/t', '1', '0', '2', '0'],
          ['ln-s', '/t', '/l'],
        ],
        args: ['/l', '5', '0', '6', '0'],
        title: 'utimens stamps a symlink itself, not its target',
        check: { run: ['stat', '/t'], expect: /^atime: 1\nmtime: 2$/m },
      },
      {
        setup: [
          ['touch', '/f'],
          ['utimens', '/f', '1', '0', '2', '0'],
        ],
        args: ['/f', '0', '-2', '7', '0'],
        title: 'utimens with nsecs -2 leaves that time alone',
        check: { run: ['stat', '/f'], expect: /^atime: 1\nmtime: 7$/m },
      },
      { args: ['/f', '0', '1000000000', '0', '0'], error: /invalid time/ },
    ];
  },
});

export const umask = defineOp({
  name: 'umask',
  group: 'files',
  args: [{ name: 'mask', type: 'int' }],
  returns: 'string',
  needsLaunch: false,
  writes: false,
  summary: 'set the file mode creation mask, print the previous one',
  description: `Set the mask (mask & 0777) that the permission bits of nodes jfish creates with an explicit
    mode lose (mkdir-mode, mknod, mkfifo, mknod-b, mknod-c; 022 by default), and print the previous
    one in octal as guestfish does. It is the session's own: host files jfish writes keep the
    user's umask. Write the mask in octal with a leading 0.`,
  async impl(ctx, [mask]) {
    return octal(setUmask(ctx.session, mask));
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'disk', args: ['022'], expect: '022' },
      { args: ['0077'], expect: '022', check: { run: ['get-umask'], expect: '077' } },
      { setup: [['umask', '0']], args: ['022'], expect: '0', title: 'umask prints 0 for no mask' },
    ];
  },
});

export const getUmaskOp = defineOp({
  name: 'get-umask',
  group: 'files',
  args: [],
  returns: 'string',
  needsLaunch: false,
  writes: false,
  summary: 'print the file mode creation mask',
  description: `Print the session's umask (see umask) in octal as guestfish does: 022 by default.`,
  async impl(ctx) {
    return octal(getUmask(ctx.session));
  },
  get tests(): readonly OpTest[] {
    return [{ from: 'libguestfs', disk: 'disk', args: [], expect: '022' }];
  },
});

export const sync = defineOp({
  name: 'sync',
  group: 'files',
  args: [],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'write what is cached to the disks',
  description: `Flush the data written so far to the disk images (sync(2)); jfish also does so when it
    unmounts and closes. Nothing to do on a read-only session.`,
  async impl(ctx) {
    if (ctx.readonly) return undefined;
    // with nothing mounted there is no guest writer to ask, but device writes may want flushing
    // (guestfish's sync runs on a bare disk too)
    if (ctx.session.mountpoints().length > 0 && ctx.session.writer.isReadonly) return undefined;
    await run('sync', []);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'disk', args: [], expect: '' },
      { setup: [['write', '/f', 'x']], args: [], expect: '' },
    ];
  },
});

export const records = [
  ln,
  lnF,
  rmF,
  mkdirMode,
  mknod,
  mknodB,
  mknodC,
  mkfifo,
  mkmountpoint,
  rmmountpoint,
  mktemp,
  writeFile,
  truncate,
  truncateSize,
  fallocate64,
  utimens,
  umask,
  getUmaskOp,
  sync,
] as const;
