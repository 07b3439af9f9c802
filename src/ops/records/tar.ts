// tar-in and tar-out, guestfish's archive transfer. The archive is read and written by our
// own tar code (src/ops/tar/), never by the host's tar: guest trees are walked and
// created by name through the guest-rooted reader/writer, so neither a hostile archive nor
// a hostile guest can make us touch a host file. Optional arguments are guestfish's
// `name:value` words (compress:gzip numericowner:true excludes:PATTERN,...).
// The tests' host archives are relative paths: each test runs in a fresh host directory.
import { JootError } from '../../core/errors.js';
import { defineOp, type OpTest, type OpContext } from '../op.js';
import type { Compression } from '../tar/compress.js';
import type { TarIo } from '../tar/ops.js';
import type { AttrOptions } from '../tar/xattrs.js';

function io(ctx: OpContext): TarIo {
  return { stdin: ctx.stdin, stderr: ctx.stderr, warn: (m) => ctx.warn(m) };
}

/** A guest directory /d with one file, f = "hello\n". */
const TREE = [
  ['mkdir', '/d'],
  ['write', '/d/f', 'hello\n'],
];
/** a guest /etc/passwd and /etc/group naming uid and gid 0 (tar-out takes owner names from them) */
const GUEST_NAMES = [
  ['mkdir', '/etc'],
  ['write', '/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n'],
  ['write', '/etc/group', 'root:x:0:\n'],
];
/** what xattrs:, selinux: and acls: carry over, on /d/f */
const ATTR = ['setxattr', 'user.joot', 'tarred', '6', '/d/f'];
const LABEL = ['setxattr', 'security.selinux', 'system_u:object_r:etc_t:s0', '26', '/d/f'];
const ACL = ['acl-set-file', '/d/f', 'access', 'u::rw-,u:1000:r--,g::r--,m::r--,o::r--'];

// the tar code loads when a tar command runs, not with jfish's command table
async function compression(v: string | undefined): Promise<Compression> {
  if (v === undefined || v === '') return 'none';
  const { compressions } = await import('../tar/compress.js');
  const c = compressions.find((x) => x === v.toLowerCase());
  if (!c) throw new JootError('EINVAL', `compress: '${v}' is not one of ${compressions.join(', ')}`);
  return c;
}

function attrOptions(xattrs: boolean | undefined, selinux: boolean | undefined, acls: boolean | undefined): AttrOptions {
  return { xattrs: xattrs === true, selinux: selinux === true, acls: acls === true };
}

const compressDoc = `compress:TYPE is one of gzip (built in), bzip2, xz, zstd, lzop, compress (the host's
    program of that name, which must be installed) or none (the default).`;

const attrsOutDoc = `As GNU tar --xattrs, --selinux and --acls do (pax records, read with the host's
    getfattr, never following a link): xattrs:true archives every extended attribute (user.*,
    trusted.*, security.*) as SCHILY.xattr.NAME, except security.selinux and the POSIX ACL
    attributes, which belong to the next two options; selinux:true archives the
    security.selinux label as RHT.security.selinux; acls:true archives the access ACL (and a
    directory's default ACL) of members that have one, as SCHILY.acl.access and
    SCHILY.acl.default in text form, named from the guest's /etc/passwd and /etc/group (numbers
    with numericowner:true). Without them none of this is archived. A member whose name is
    not valid UTF-8 is archived without them, with a warning.`;

const attrsInDoc = `xattrs:true, selinux:true and acls:true restore what GNU tar --xattrs, --selinux and
    --acls archived (SCHILY.xattr.* except security.selinux and system.*, RHT.security.selinux
    (or SCHILY.xattr.security.selinux), SCHILY.acl.access / SCHILY.acl.default, names mapped
    through the guest's /etc/passwd and /etc/group), with the host's setfattr, last, only on
    the members this command made (not hard links, and never through a symbolic link); an
    attribute that cannot be set (e.g. trusted.* when not root, or a filesystem without
    attributes) is reported and skipped without failing the command. Without them the
    archive's attributes are ignored.`;

export const tarOutOp = defineOp({
  name: 'tar-out',
  group: 'transfer',
  args: [
    { name: 'directory', type: 'path' },
    { name: 'tarfile', type: 'fileout' },
    { name: 'compress', type: 'string', optional: true, named: true },
    { name: 'numericowner', type: 'bool', optional: true, named: true },
    { name: 'excludes', type: 'string', optional: true, named: true },
    { name: 'xattrs', type: 'bool', optional: true, named: true },
    { name: 'selinux', type: 'bool', optional: true, named: true },
    { name: 'acls', type: 'bool', optional: true, named: true },
  ],
  // to - the archive's bytes go to the output as they are
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'pack a guest directory into a host tar file',
  description: `Pack the contents of the guest directory into the local file tarfile (- for
    standard output), as \`tar -C directory -cf tarfile .\` would: a POSIX (pax) archive that
    GNU tar reads. Symbolic links are stored as links and never followed; hard links, device
    nodes and FIFOs are kept; modes, numeric owners and times are kept, with user and group
    names from the guest's /etc/passwd and /etc/group unless numericowner:true. Sockets are
    skipped with a warning. ${compressDoc} excludes:PATTERN,... leaves out members matching
    any of the wildcard patterns (separated by commas or spaces; as GNU tar --exclude: * also
    matches /, and a pattern may match the end of a name). ${attrsOutDoc}`,
  async impl(ctx, [dir, local, compress, numericowner, excludes, xattrs, selinux, acls]) {
    const opts = {
      compress: await compression(compress),
      numericOwner: numericowner === true,
      excludes: (excludes ?? '').split(/[\s,]+/).filter((p) => p !== ''),
      attrs: attrOptions(xattrs, selinux, acls),
    };
    const { tarOut } = await import('../tar/ops.js');
    await tarOut(ctx.session, dir, local, ctx.out, opts, io(ctx));
    return undefined;
  },
  guestfishDiffers: "libguestfs has no test for tar-out (tar-in's tests here unpack what tar-out packed)",
  get tests(): readonly OpTest[] {
    return [
      // a pax archive: the member ./f, then its content
      { setup: TREE, args: ['/d', '-'], expect: /\.\/f\0[\s\S]*\0hello\n/ },
      { title: 'excludes leave a member out', setup: TREE, args: ['/d', '-', 'excludes:f'], expect: /^(?![\s\S]*hello)/ },
      {
        title: 'a gzip archive in a host file, read back by tar-in',
        setup: [...TREE, ['mkdir', '/e']],
        args: ['/d', 'd.tar.gz', 'compress:gzip'],
        expect: '',
        check: { run: ['tar-in', 'd.tar.gz', '/e', 'compress:gzip'], expect: '' },
      },
      {
        title: "owner names from the guest's /etc/passwd and /etc/group",
        setup: [...TREE, ...GUEST_NAMES],
        args: ['/d', '-'],
        expect: /\0root\0[\s\S]*hello\n/,
      },
      {
        title: 'numericowner:true stores no owner names',
        setup: [...TREE, ...GUEST_NAMES],
        args: ['/d', '-', 'numericowner:true'],
        expect: /^(?![\s\S]*\0root\0)[\s\S]*hello\n/,
      },
      {
        title: 'xattrs:true stores user attributes',
        setup: [...TREE, ATTR],
        args: ['/d', '-', 'xattrs:true'],
        expect: /SCHILY\.xattr\.user\.joot=tarred\n/,
      },
      { title: 'without xattrs:true no attributes', setup: [...TREE, ATTR], args: ['/d', '-'], expect: /^(?![\s\S]*SCHILY\.xattr)/ },
      {
        title: 'selinux:true stores the label',
        setup: [...TREE, LABEL],
        args: ['/d', '-', 'selinux:true'],
        expect: /RHT\.security\.selinux=system_u:object_r:etc_t:s0\n/,
      },
      { title: 'without selinux:true no label', setup: [...TREE, LABEL], args: ['/d', '-'], expect: /^(?![\s\S]*RHT\.security\.selinux)/ },
      {
        title: 'acls:true stores the access ACL',
        setup: [...TREE, ACL],
        args: ['/d', '-', 'acls:true'],
        expect: /SCHILY\.acl\.access=user::rw-\nuser:1000:r--\n/,
      },
      { title: 'without acls:true no ACL', setup: [...TREE, ACL], args: ['/d', '-'], expect: /^(?![\s\S]*SCHILY\.acl)/ },
      { args: ['/missing', '-'], error: /\/missing: No such file or directory/ },
      { setup: TREE, args: ['/d/f', '-'], error: /\/d\/f: Not a directory/ },
      { setup: TREE, args: ['/d', '-', 'compress:rar'], error: /compress: 'rar' is not one of/ },
    ];
  },
});

export const tarInOp = defineOp({
  name: 'tar-in',
  group: 'transfer',
  args: [
    { name: 'tarfile', type: 'filein' },
    { name: 'directory', type: 'path' },
    { name: 'compress', type: 'string', optional: true, named: true },
    { name: 'xattrs', type: 'bool', optional: true, named: true },
    { name: 'selinux', type: 'bool', optional: true, named: true },
    { name: 'acls', type: 'bool', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'unpack a host tar file into a guest directory',
  description: `Unpack the local tar file tarfile (- for standard input) into the existing guest
    directory, as GNU tar would: a leading / is removed from member names and members whose
    names contain .. are not extracted; entries in the way are replaced, never written
    through; a symbolic link the archive itself made is never followed (a later member
    below it is refused), while directory links the guest already had are followed inside
    the guest. Regular files, directories, symbolic and hard links, device nodes and FIFOs
    are made; modes, times and (as root) owners are restored, user and group names mapped
    through the guest's /etc/passwd and /etc/group. Reads ustar, pax and GNU archives.
    ${compressDoc} A member that cannot be extracted is reported and skipped, and the command
    then fails. ${attrsInDoc} Refused in a read-only session.`,
  async impl(ctx, [local, dir, compress, xattrs, selinux, acls]) {
    const opts = { compress: await compression(compress), attrs: attrOptions(xattrs, selinux, acls) };
    const { tarIn } = await import('../tar/ops.js');
    await tarIn(ctx.session, local, dir, opts, io(ctx));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        title: "tar-in helloworld.tar (made here by tar-out, as libguestfs's helloworld.tar)",
        setup: [
          ['mkdir', '/hw'],
          ['write', '/hw/hello', 'hello\n'],
          ['write', '/hw/world', 'world\n'],
          ['tar-out', '/hw', 'helloworld.tar'],
          ['mkdir', '/tar_in'],
        ],
        args: ['helloworld.tar', '/tar_in'],
        check: { run: ['cat', '/tar_in/hello'], expect: 'hello\n' },
      },
      {
        from: 'libguestfs',
        title: "tar-in helloworld.tar.gz compress:gzip (made here by tar-out, as libguestfs's helloworld.tar.gz)",
        setup: [
          ['mkdir', '/hw'],
          ['write', '/hw/hello', 'hello\n'],
          ['write', '/hw/world', 'world\n'],
          ['tar-out', '/hw', 'helloworld.tar.gz', 'compress:gzip'],
          ['mkdir', '/tar_in_gz'],
        ],
        args: ['helloworld.tar.gz', '/tar_in_gz', 'compress:gzip'],
        check: { run: ['cat', '/tar_in_gz/hello'], expect: 'hello\n' },
      },
      {
        from: 'libguestfs',
        title: "tar-in helloworld.tar.xz compress:xz (made here by tar-out, as libguestfs's helloworld.tar.xz)",
        setup: [
          ['mkdir', '/hw'],
          ['write', '/hw/hello', 'hello\n'],
          ['write', '/hw/world', 'world\n'],
          ['tar-out', '/hw', 'helloworld.tar.xz', 'compress:xz'],
          ['mkdir', '/tar_in_xz'],
        ],
        args: ['helloworld.tar.xz', '/tar_in_xz', 'compress:xz'],
        check: { run: ['cat', '/tar_in_xz/hello'], expect: 'hello\n' },
      },
      {
        title: 'unpack an archive made by tar-out',
        setup: [...TREE, ['tar-out', '/d', 'd.tar'], ['mkdir', '/e']],
        args: ['d.tar', '/e'],
        check: { run: ['cat', '/e/f'], expect: 'hello\n' },
      },
      { title: 'an empty file is an empty archive', args: ['/dev/null', '/'], check: { run: ['ls', '/'], expect: 'lost+found' } },
      { args: ['/proc/sys/kernel/ostype', '/'], error: /ostype: This does not look like a tar archive/ },
      { args: ['missing.tar', '/'], error: /missing\.tar: No such file or directory/ },
      { readonly: true, args: ['/dev/null', '/'], error: /read-only/ },
    ];
  },
});

export const records = [tarInOp, tarOutOp] as const;
