// guestfish's aug-* commands: Augeas over the mounted guest's configuration files, with the
// host's lenses (Debian's augeas-lenses) run by one augtool co-process per session on a private
// copy of the files (appliance/augeas). Edits stay in Augeas's tree until aug-save writes the
// files Augeas changed back through the guest writer: only aug-save writes the guest.
import { augeasClose, augeasHandle, augeasInit } from '../../appliance/augeas/handle.js';
import { JootError } from '../../core/errors.js';
import { defineOp, type OpTest } from '../op.js';

const augpath = { name: 'augpath', type: 'string' } as const;

/** libguestfs's tests write these, then open a handle on / */
const ETC = ['mkdir', '/etc'];
const HOSTNAME = ['write', '/etc/hostname', 'test.example.org'];
const HOSTS = ['write', '/etc/hosts', '127.0.0.1 localhost\n::1 localhost6 ip6-localhost ip6-loopback\n'];
const INIT = ['aug-init', '/', '0'];
const NO_TEST = 'libguestfs has no test for this action';
/** libguestfs's /etc/passwd of its aug_setm and aug_label tests: three users, two shells to rewrite */
const PASSWD = [
  'write',
  '/etc/passwd',
  'root:x:0:0:root:/root:/bin/bash\nbin:x:1:1:bin:/bin:/sbin/nologin\ndaemon:x:2:2:daemon:/sbin:/bin/csh\n',
];

export const augInit = defineOp({
  name: 'aug-init',
  group: 'editing',
  args: [
    { name: 'root', type: 'path' },
    { name: 'flags', type: 'int' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'create a new Augeas handle',
  description: `Open an Augeas handle for editing the configuration files below the guest directory
    root (usually /), closing the one open before (its unsaved changes are lost). The files the
    lenses' filters name (/etc/hosts, /etc/fstab, …) are copied from the guest, symlinks
    resolved inside the guest, into a private directory that Augeas (augtool, with the host's
    lenses) loads; a file Augeas cannot parse is left out of /files with a warning, and its
    error is under /augeas/files/FILE/error. flags is augeas.h's sum: 1 keep the original as
    FILE.augsave on save, 2 save to FILE.augnew and leave the original, 4 typecheck the lenses,
    8 no standard lens directory, 16 make saves a no-op, 32 load nothing (aug-load loads), 64
    do not autoload the lenses, 128 keep spans. Files over 16 MiB are left out.`,
  async impl(ctx, [root, flags]) {
    await augeasInit(ctx.session, root, flags, (m) => ctx.warn(m));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [ETC, HOSTNAME],
        args: ['/', '0'],
        check: { run: ['aug-get', '/files/etc/hostname/hostname'], expect: 'test.example.org' },
      },
      {
        title: 'flag 32: nothing is loaded',
        setup: [ETC, HOSTNAME],
        args: ['/', '32'],
        check: { run: ['aug-match', '/files//*'], expect: '' },
      },
      {
        title: 'a guest file that does not parse is left out',
        setup: [ETC, ['write', '/etc/hosts.allow', 'garbage [[[\n'], HOSTNAME],
        args: ['/', '0'],
        check: { run: ['aug-get', '/augeas/files/etc/hosts.allow/error'], expect: 'parse_failed' },
      },
      { args: ['/none', '0'], error: /^\/none: not a directory$/ },
      { args: ['/', '4096'], error: /^4096: not a set of Augeas flags/ },
    ];
  },
});

export const augClose = defineOp({
  name: 'aug-close',
  group: 'editing',
  args: [],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'close the current Augeas handle',
  description: `Close the Augeas handle (its unsaved changes are lost) and release what it holds.
    aug-init opens a new one.`,
  async impl(ctx) {
    if (!(await augeasClose(ctx.session))) throw new JootError('ESTATE', 'no Augeas handle: call aug-init first');
    return undefined;
  },
  guestfishDiffers: NO_TEST,
  get tests(): readonly OpTest[] {
    return [
      { setup: [ETC, HOSTNAME, INIT], args: [] },
      { args: [], error: /^no Augeas handle: call aug-init first$/ },
    ];
  },
});

export const augDefvar = defineOp({
  name: 'aug-defvar',
  group: 'editing',
  args: [
    { name: 'name', type: 'string' },
    { name: 'expr', type: 'string', optional: true },
  ],
  returns: 'int',
  needsLaunch: true,
  writes: false,
  summary: 'define an Augeas variable',
  description: `Define the Augeas variable name (used as $name in paths) as the value of the path
    expression expr, and print how many nodes it holds (0 for an expression that is not a node
    set). Without expr the variable is emptied: it then holds no node (Augeas's command language,
    which jfish drives, cannot undefine it).`,
  async impl(ctx, [name, expr]) {
    const h = augeasHandle(ctx.session);
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw new JootError('EINVAL', `${name}: not an Augeas variable name`);
    await h.run(['defvar', name, expr === undefined || expr === '' ? '/augeas/joot-no-such-node' : expr]);
    return h.count(`$${name}`);
  },
  guestfishDiffers: NO_TEST,
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [ETC, HOSTS, INIT],
        args: ['h', '/files/etc/hosts/*'],
        expect: '2',
        check: { run: ['aug-match', '$h/ipaddr'], expect: '/files/etc/hosts/1/ipaddr\n/files/etc/hosts/2/ipaddr' },
      },
      { setup: [ETC, HOSTS, INIT], args: ['n', 'count(/files/etc/hosts/*)'], expect: '0' },
      { setup: [ETC, HOSTS, INIT], args: ['h', '/files/etc/hosts/*['], error: /unmatched \[/ },
    ];
  },
});

export const augDefnode = defineOp({
  name: 'aug-defnode',
  group: 'editing',
  args: [
    { name: 'name', type: 'string' },
    { name: 'expr', type: 'string' },
    { name: 'val', type: 'string' },
  ],
  returns: 'struct',
  needsLaunch: true,
  writes: false,
  summary: 'define an Augeas node',
  description: `Define the Augeas variable name as the nodes expr matches; when it matches none, a
    node is created first (as aug-set expr val). Prints guestfish's int_bool: i, the number of
    nodes, and b, 1 when a node was created.`,
  async impl(ctx, [name, expr, val]) {
    const h = augeasHandle(ctx.session);
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw new JootError('EINVAL', `${name}: not an Augeas variable name`);
    const created = (await h.count(expr)) === 0;
    await h.run(['defnode', name, expr, val]);
    return [
      ['i', await h.count(`$${name}`)],
      ['b', created ? 1 : 0],
    ];
  },
  guestfishDiffers: NO_TEST,
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [ETC, HOSTS, INIT],
        args: ['n', '/files/etc/hosts/3/ipaddr', '10.0.0.1'],
        expect: 'i: 1\nb: 1',
        check: { run: ['aug-get', '$n'], expect: '10.0.0.1' },
      },
      { setup: [ETC, HOSTS, INIT], args: ['n', '/files/etc/hosts/*/ipaddr', 'x'], expect: 'i: 2\nb: 0' },
    ];
  },
});

export const augGet = defineOp({
  name: 'aug-get',
  group: 'editing',
  args: [augpath],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'look up the value of an Augeas path',
  description: `Print the value of the node augpath names; it must match exactly one node, and that
    node must have a value.`,
  async impl(ctx, [path]) {
    const v = await augeasHandle(ctx.session).get(path);
    if (v === undefined) throw new JootError('EINVAL', `${path}: value is NULL`);
    return v;
  },
  guestfishDiffers: "libguestfs's test of aug-get is that of aug-init (and aug-set)",
  get tests(): readonly OpTest[] {
    return [
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts/2/alias[2]'], expect: 'ip6-loopback' },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts/3'], error: /^\/files\/etc\/hosts\/3: no matching node$/ },
      {
        setup: [ETC, HOSTS, INIT],
        args: ['/files/etc/hosts/*/ipaddr'],
        error: /^Too many matches for path expression: There are 2 nodes matching/,
      },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts[('], error: /^[^\n]+$/ },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts'], error: /value is NULL/ },
      { setup: [ETC, HOSTS], args: ['/files/etc/hosts/1/ipaddr'], error: /^no Augeas handle: call aug-init first$/ },
    ];
  },
});

export const augSet = defineOp({
  name: 'aug-set',
  group: 'editing',
  args: [augpath, { name: 'val', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'set Augeas path to value',
  description: `Set the value of the node augpath names, creating it (and its parents) when it does
    not exist; augpath must not match more than one node. The change is in Augeas's tree only
    until aug-save. (aug-clear sets no value.)`,
  async impl(ctx, [path, val]) {
    await augeasHandle(ctx.session).run(['set', path, val]);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [ETC, HOSTNAME, INIT],
        args: ['/files/etc/hostname/hostname', 'replace.example.com'],
        check: { run: ['aug-get', '/files/etc/hostname/hostname'], expect: 'replace.example.com' },
      },
      {
        title: 'a value with quotes, backslashes and spaces',
        setup: [ETC, HOSTS, INIT],
        args: ['/files/etc/hosts/1/canonical', 'a "b" \\c d'],
        check: { run: ['aug-get', '/files/etc/hosts/1/canonical'], expect: 'a "b" \\c d' },
      },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts/*/ipaddr', 'x'], error: /^Too many matches for path expression/ },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts/1/canonical', 'a\nb'], error: /cannot carry a line break/ },
    ];
  },
});

export const augInsert = defineOp({
  name: 'aug-insert',
  group: 'editing',
  args: [augpath, { name: 'label', type: 'string' }, { name: 'before', type: 'bool' }],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'insert a sibling Augeas node',
  description: `Insert a new node called label next to the node augpath names (which must match
    exactly one node): before it when before is true, else after it. label is a plain label: no
    '/', no '*', no [N] at the end.`,
  async impl(ctx, [path, label, before]) {
    if (label === '' || /[/*]|\[\d+\]$/.test(label))
      throw new JootError('EINVAL', `${label}: not an Augeas label (no '/', '*' or [N] at the end)`);
    await augeasHandle(ctx.session).run(['ins', label, before ? 'before' : 'after', path]);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [ETC, ['write', '/etc/hosts', ''], INIT],
        args: ['/files/etc/hosts', '1', 'false'],
        after: [
          ['aug-set', '/files/etc/hosts/1/ipaddr', '127.0.0.1'],
          ['aug-set', '/files/etc/hosts/1/canonical', 'foobar'],
          ['aug-clear', '/files/etc/hosts/1/canonical'],
          ['aug-set', '/files/etc/hosts/1/canonical', 'localhost'],
          ['aug-save'],
        ],
        check: { run: ['cat', '/etc/hosts'], expect: '\n127.0.0.1\tlocalhost\n' },
      },
      {
        setup: [ETC, HOSTS, INIT],
        args: ['/files/etc/hosts/1', '0', 'true'],
        check: { run: ['aug-match', '/files/etc/hosts/*'], expect: '/files/etc/hosts/0\n/files/etc/hosts/1\n/files/etc/hosts/2' },
      },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts/*', 'x', 'false'], error: /^Too many matches for path expression$/ },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts/1', 'a/b', 'false'], error: /^a\/b: not an Augeas label/ },
    ];
  },
});

export const augRm = defineOp({
  name: 'aug-rm',
  group: 'editing',
  args: [augpath],
  returns: 'int',
  needsLaunch: true,
  writes: false,
  summary: 'remove an Augeas path',
  description: `Remove the nodes augpath matches, with their children; prints how many nodes were removed.`,
  async impl(ctx, [path]) {
    const out = await augeasHandle(ctx.session).run(['rm', path]);
    const m = /^rm : .* (\d+)\n$/s.exec(out);
    if (!m) throw new JootError('EIO', `augtool's answer to rm ${path} is not understood`);
    return Number(m[1]);
  },
  guestfishDiffers: NO_TEST,
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [ETC, HOSTS, INIT],
        args: ['/files/etc/hosts/2'],
        expect: '5',
        check: { run: ['aug-match', '/files/etc/hosts/*'], expect: '/files/etc/hosts/1' },
      },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/nothing'], expect: '0' },
    ];
  },
});

export const augMv = defineOp({
  name: 'aug-mv',
  group: 'editing',
  args: [
    { name: 'src', type: 'string' },
    { name: 'dest', type: 'string' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'move Augeas node',
  description: `Move the node src (which must match exactly one node) to dest, replacing dest if it exists.`,
  async impl(ctx, [src, dest]) {
    await augeasHandle(ctx.session).run(['mv', src, dest]);
    return undefined;
  },
  guestfishDiffers: NO_TEST,
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [ETC, HOSTS, INIT],
        args: ['/files/etc/hosts/2', '/files/etc/hosts/3'],
        check: { run: ['aug-get', '/files/etc/hosts/3/canonical'], expect: 'localhost6' },
      },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts/1', '/files/etc/hosts/1/x'], error: /^Cannot move node into its descendant/ },
    ];
  },
});

export const augMatch = defineOp({
  name: 'aug-match',
  group: 'editing',
  args: [augpath],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'return Augeas nodes which match augpath',
  description: `Print the paths of the nodes the path expression augpath matches, one a line, each
    naming exactly one node.`,
  async impl(ctx, [path]) {
    return augeasHandle(ctx.session).match(path);
  },
  guestfishDiffers: NO_TEST,
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [ETC, HOSTS, INIT],
        args: ['/files/etc/hosts/*/canonical'],
        expect: '/files/etc/hosts/1/canonical\n/files/etc/hosts/2/canonical',
      },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts/2/alias'], expect: '/files/etc/hosts/2/alias[1]\n/files/etc/hosts/2/alias[2]' },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/none'], expect: '' },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts/*['], error: /^unmatched \[$/ },
    ];
  },
});

export const augLs = defineOp({
  name: 'aug-ls',
  group: 'editing',
  args: [augpath],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list Augeas nodes under augpath',
  description: `Print the paths of the children of augpath (aug-match augpath/*), sorted.`,
  async impl(ctx, [path]) {
    if (path === '' || (path.endsWith('/') && path !== '/'))
      throw new JootError('EINVAL', `${path}: an Augeas path to list must not end with /`);
    const found = await augeasHandle(ctx.session).match(path === '/' ? '/*' : `${path}/*`);
    return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [ETC, ['write', '/etc/hosts', '127.0.0.1 localhost'], INIT],
        args: ['/files/etc/hosts/1'],
        expect: '/files/etc/hosts/1/canonical\n/files/etc/hosts/1/ipaddr',
      },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts/'], error: /must not end with \// },
    ];
  },
});

export const augClear = defineOp({
  name: 'aug-clear',
  group: 'editing',
  args: [augpath],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'clear Augeas path',
  description: `Remove the value of the node augpath names (creating the node when there is none), as augtool's clear.`,
  async impl(ctx, [path]) {
    await augeasHandle(ctx.session).run(['clear', path]);
    return undefined;
  },
  guestfishDiffers: "libguestfs's only test of aug-clear is part of aug-insert's",
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [ETC, HOSTS, INIT],
        args: ['/files/etc/hosts/1/canonical'],
        check: { run: ['aug-match', '/files/etc/hosts/1/canonical[. = "localhost"]'], expect: '' },
      },
    ];
  },
});

export const augLabel = defineOp({
  name: 'aug-label',
  group: 'editing',
  args: [augpath],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'return the label from an Augeas path expression',
  description: `Print the label (last name) of the node augpath names; it must match exactly one node.`,
  async impl(ctx, [path]) {
    const out = await augeasHandle(ctx.session).run(['label', path]);
    const prefix = `${path} = `;
    if (!out.startsWith(prefix) || !out.endsWith('\n')) throw new JootError('EIO', `augtool's answer to label ${path} is not understood`);
    return out.slice(prefix.length, -1);
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', setup: [ETC, PASSWD, INIT], args: ['/files/etc/passwd/*[last()]'], expect: 'daemon' },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts/2/alias[2]'], expect: 'alias' },
      { setup: [ETC, HOSTS, INIT], args: ['/files/etc/hosts/*'], error: /^Too many matches for path expression/ },
    ];
  },
});

export const augSetm = defineOp({
  name: 'aug-setm',
  group: 'editing',
  args: [
    { name: 'base', type: 'string' },
    { name: 'sub', type: 'string' },
    { name: 'val', type: 'string' },
  ],
  returns: 'int',
  needsLaunch: true,
  writes: false,
  summary: 'set multiple Augeas nodes',
  description: `For each node base matches, set its sub-node sub (a path relative to it, created when
    missing; "" for the node itself, guestfish's OptString) to val; prints how many nodes were changed.`,
  async impl(ctx, [base, sub, val]) {
    const h = augeasHandle(ctx.session);
    const n = await h.count(base);
    await h.run(['setm', base, sub === '' ? '.' : sub, val]);
    return n;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [ETC, PASSWD, INIT],
        args: ['/files/etc/passwd/*', 'shell', '/sbin/nologin'],
        expect: '3',
        after: [['aug-save']],
        check: {
          run: ['cat', '/etc/passwd'],
          expect: 'root:x:0:0:root:/root:/sbin/nologin\nbin:x:1:1:bin:/bin:/sbin/nologin\ndaemon:x:2:2:daemon:/sbin:/sbin/nologin\n',
        },
      },
      {
        setup: [ETC, HOSTS, INIT],
        args: ['/files/etc/hosts/*', 'canonical', 'h'],
        expect: '2',
        check: { run: ['aug-get', '/files/etc/hosts/2/canonical'], expect: 'h' },
      },
      {
        setup: [ETC, HOSTS, INIT],
        args: ['/files/etc/hosts/*/ipaddr', '', '10.0.0.9'],
        expect: '2',
        check: { run: ['aug-get', '/files/etc/hosts/1/ipaddr'], expect: '10.0.0.9' },
      },
    ];
  },
});

export const augTransform = defineOp({
  name: 'aug-transform',
  group: 'editing',
  args: [
    { name: 'lens', type: 'string' },
    { name: 'file', type: 'string' },
    { name: 'remove', type: 'bool', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'add/remove an Augeas lens transformation',
  description: `Make the lens (a module name such as Hosts, or Module.lens) handle file (a glob
    below aug-init's root); remove:true excludes file from it instead. aug-load then loads it. A
    file glob holding '..' is refused at aug-load (it would leave the guest).`,
  async impl(ctx, [lens, file, remove]) {
    await augeasHandle(ctx.session).run(['transform', lens, remove ? 'excl' : 'incl', file]);
    return undefined;
  },
  guestfishDiffers: NO_TEST,
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [ETC, ['write', '/etc/myhosts', '10.1.1.1 h1\n'], INIT],
        args: ['Hosts', '/etc/myhosts'],
        after: [['aug-load']],
        check: { run: ['aug-get', '/files/etc/myhosts/1/canonical'], expect: 'h1' },
      },
      {
        setup: [ETC, HOSTS, INIT],
        args: ['Hosts', '/etc/hosts', 'remove:true'],
        after: [['aug-load']],
        check: { run: ['aug-match', '/files/etc/hosts'], expect: '' },
      },
    ];
  },
});

export const augLoad = defineOp({
  name: 'aug-load',
  group: 'editing',
  args: [],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'load files into the tree',
  description: `Copy again the guest files the lenses' filters (/augeas/load) name and load them into
    /files, dropping changes not saved: what aug-init does without flag 32. Guest files written
    since aug-init are seen.`,
  async impl(ctx) {
    await augeasHandle(ctx.session).load((m) => ctx.warn(m));
    return undefined;
  },
  guestfishDiffers: NO_TEST,
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [ETC, HOSTNAME, ['aug-init', '/', '32']],
        args: [],
        check: { run: ['aug-get', '/files/etc/hostname/hostname'], expect: 'test.example.org' },
      },
      {
        title: 'a guest file written after aug-init',
        setup: [ETC, HOSTNAME, INIT, ['write', '/etc/hostname', 'new.example.org']],
        args: [],
        check: { run: ['aug-get', '/files/etc/hostname/hostname'], expect: 'new.example.org' },
      },
      { setup: [ETC, HOSTNAME, INIT, ['aug-transform', 'Hosts', '/../etc/x']], args: [], error: /'\.\.' is refused/ },
    ];
  },
});

export const augSave = defineOp({
  name: 'aug-save',
  group: 'editing',
  args: [],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'write all pending Augeas changes to disk',
  description: `Write the files whose trees were changed back to the guest, as aug-init's flags say
    (FILE.augnew beside the original, or the original kept as FILE.augsave); a file replaced
    keeps its mode and owner, a symlink is followed inside the guest. Only the files Augeas
    changed are written. Refused on a read-only session.`,
  async impl(ctx) {
    await augeasHandle(ctx.session).save();
    return undefined;
  },
  guestfishDiffers: "libguestfs's test of aug-save is part of aug-insert's",
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [ETC, HOSTNAME, INIT, ['aug-set', '/files/etc/hostname/hostname', 'saved.example.org']],
        args: [],
        check: { run: ['cat', '/etc/hostname'], expect: 'saved.example.org\n' },
      },
      {
        title: 'flag 2: saved as FILE.augnew, the original kept',
        setup: [ETC, HOSTNAME, ['aug-init', '/', '2'], ['aug-set', '/files/etc/hostname/hostname', 'new.example.org']],
        args: [],
        check: { run: ['cat', '/etc/hostname.augnew'], expect: 'new.example.org\n' },
      },
      {
        title: 'flag 1: the original kept as FILE.augsave',
        setup: [ETC, HOSTNAME, ['aug-init', '/', '1'], ['aug-set', '/files/etc/hostname/hostname', 'new.example.org']],
        args: [],
        check: { run: ['cat', '/etc/hostname.augsave'], expect: 'test.example.org' },
      },
      {
        title: 'the mode and owner of a file replaced are kept',
        setup: [
          ETC,
          HOSTS,
          ['chmod', '0640', '/etc/hosts'],
          ['chown', '1000', '1001', '/etc/hosts'],
          INIT,
          ['aug-rm', '/files/etc/hosts/2'],
        ],
        args: [],
        check: { run: ['stat', '/etc/hosts'], expect: /\nmode: 33184\nnlink: 1\nuid: 1000\ngid: 1001\n[\s\S]*\nsize: 20\n/ },
      },
      {
        title: 'a file created',
        setup: [ETC, INIT, ['aug-set', '/files/etc/hostname/hostname', 'made.example.org']],
        args: [],
        check: { run: ['cat', '/etc/hostname'], expect: 'made.example.org\n' },
      },
      {
        readonly: true,
        setup: [INIT],
        args: [],
        error: /read-only/,
      },
    ];
  },
});

export const records = [
  augInit,
  augClose,
  augDefvar,
  augDefnode,
  augGet,
  augSet,
  augInsert,
  augRm,
  augMv,
  augMatch,
  augLs,
  augClear,
  augLabel,
  augSetm,
  augTransform,
  augLoad,
  augSave,
] as const;
