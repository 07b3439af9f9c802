// setfiles and selinux-relabel: label a guest tree from the guest's own SELinux file_contexts,
// as libguestfs runs setfiles(8) in its appliance; here the spec is matched in-process
// (src/ops/selinux/: bounded-time regexes) and the labels set on the nodes the guest-rooted
// reader walks, never through a symbolic link.
import { JootError } from '../../core/errors.js';
import { splitCommandLine } from '../../core/words.js';
import { defineOp, type OpContext, type OpTest } from '../op.js';

const SPEC = '/etc/selinux/targeted/contexts/files/file_contexts';

/** A small targeted-policy-shaped spec, and a few files to label. */
const FC = [
  '/.*\t\t\tsystem_u:object_r:default_t:s0',
  '/\t\t-d\tsystem_u:object_r:root_t:s0',
  '/etc(/.*)?\t\tsystem_u:object_r:etc_t:s0',
  '/etc/shadow.*\t--\tsystem_u:object_r:shadow_t:s0',
  '/etc/selinux(/.*)?\tsystem_u:object_r:selinux_config_t:s0',
  '/var/log(/.*)?\t\tsystem_u:object_r:var_log_t:s0',
  '/var/log/keep\t\t<<none>>',
  '',
].join('\n');

const TREE = [
  ['mkdir-p', '/etc/selinux/targeted/contexts/files'],
  ['write', SPEC, FC],
  ['write', '/etc/passwd', 'root:x:0:0::/root:/bin/sh\n'],
  ['write', '/etc/shadow', ''],
  ['mkdir-p', '/var/log'],
  ['write', '/var/log/keep', ''],
  ['ln-s', '/etc/passwd', '/etc/link'],
];

/** One llz line's context for NAME (the listing's 5th column). */
const labelled = (name: string, context: string): RegExp =>
  new RegExp(`\\n\\S+ +\\d+ 0 0 ${context.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\d+ .{12} ${name}( -> \\S+)?\\n`);

async function relabel(ctx: OpContext, specfile: string, paths: readonly string[], force: boolean | undefined): Promise<undefined> {
  if (ctx.readonly) throw new JootError('EPERM', `${paths[0] ?? specfile}: the session is read-only`);
  const { setfiles } = await import('../selinux/relabel.js');
  await setfiles(ctx.session.reader, specfile, paths, { force: force === true, warn: (m) => ctx.warn(m) });
  return undefined;
}

const semantics = `The spec file is a guest path, usually /etc/selinux/TYPE/contexts/files/file_contexts
    where TYPE is SELINUXTYPE in the guest's /etc/selinux/config; SPECFILE.homedirs and
    SPECFILE.local are read after it when present, and SPECFILE.subs / .subs_dist path
    equivalences apply. As setfiles(8) decides (file_contexts(5)): each line is REGEX [TYPE]
    CONTEXT, the regex matched against the whole guest path; specs that are exact paths are
    preferred to regexes, and otherwise the last matching spec wins; a TYPE (-- -d -l -b -c -p
    -s) restricts a spec to that kind of file; <<none>> leaves matching files alone. Every node
    under the path is labelled, across the guest's mount points, except /dev, /proc, /selinux
    and /sys (as libguestfs excludes them); symbolic links are labelled themselves and never
    followed. A file without a label gets the spec's context; a labelled file keeps its user,
    role and range and only gets the spec's type, unless force:true, which sets the whole
    context. The regexes are matched in bounded time (an unsupported construct, such as a
    back-reference, is an error naming the spec line). No SELinux policy is loaded, so contexts
    are not checked against one and no type is treated as customizable. A file that cannot be
    labelled (a filesystem without extended attributes) is reported and the rest go on. To have
    the guest relabel itself at its next boot instead, create /.autorelabel (touch
    /.autorelabel): a Fedora/RHEL guest's boot does it.`;

export const setfilesOp = defineOp({
  name: 'setfiles',
  group: 'files',
  args: [
    { name: 'specfile', type: 'path' },
    { name: 'paths', type: 'string' },
    { name: 'force', type: 'bool', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set SELinux labels on parts of the filesystem',
  description: `Label each of the guest paths (a list, written as guestfish writes one: paths
    separated by spaces, "/ /boot") and everything below them from the guest's SELinux spec file,
    as libguestfs's setfiles does. ${semantics}`,
  async impl(ctx, [specfile, paths, force]) {
    const list = splitCommandLine(paths);
    for (const p of list) if (!p.startsWith('/')) throw new JootError('EINVAL', `paths: '${p}' is not an absolute path`);
    return relabel(ctx, specfile, list, force);
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action (it needs an SELinux policy in the appliance)',
  get tests(): readonly OpTest[] {
    return [
      {
        title: 'two paths labelled, the rest left alone',
        setup: [...TREE, ['mkdir', '/other']],
        args: [SPEC, '/etc/passwd /var'],
        check: { run: ['llz', '/'], expect: /\n\S+ +\d+ 0 0 \? +\d+ .{12} other\n[\s\S]*system_u:object_r:default_t:s0 +\d+ .{12} var\n/ },
      },
      { setup: TREE, args: [SPEC, 'etc'], error: /'etc' is not an absolute path/ },
    ];
  },
});

export const selinuxRelabelOp = defineOp({
  name: 'selinux-relabel',
  group: 'files',
  args: [
    { name: 'specfile', type: 'path' },
    { name: 'path', type: 'path' },
    { name: 'force', type: 'bool', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'relabel parts of the filesystem',
  description: `Label the guest path (normally /, the whole guest) and everything below it from the
    guest's SELinux spec file: setfiles with one path (libguestfs deprecates selinux-relabel for
    setfiles). ${semantics}`,
  async impl(ctx, [specfile, p, force]) {
    return relabel(ctx, specfile, [p], force);
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action (it needs an SELinux policy in the appliance)',
  get tests(): readonly OpTest[] {
    return [
      {
        title: 'the spec decides each label',
        setup: TREE,
        args: [SPEC, '/'],
        check: { run: ['llz', '/etc'], expect: labelled('shadow', 'system_u:object_r:shadow_t:s0') },
      },
      {
        title: 'a directory spec (-d)',
        setup: TREE,
        args: [SPEC, '/'],
        check: { run: ['llz', '/'], expect: labelled('\\.', 'system_u:object_r:root_t:s0') },
      },
      {
        title: 'a symbolic link is labelled itself',
        setup: TREE,
        args: [SPEC, '/'],
        check: { run: ['llz', '/etc'], expect: labelled('link', 'system_u:object_r:etc_t:s0') },
      },
      {
        title: '<<none>> leaves a file alone',
        setup: TREE,
        args: [SPEC, '/'],
        check: { run: ['llz', '/var/log'], expect: /\n\S+ +\d+ 0 0 \? +\d+ .{12} keep\n/ },
      },
      {
        title: 'a labelled file only changes type, unless force:true',
        setup: [...TREE, ['selinux-relabel', SPEC, '/'], ['write', `${SPEC}.local`, '/etc/passwd\tstaff_u:staff_r:passwd_file_t:s0\n']],
        args: [SPEC, '/etc'],
        check: { run: ['llz', '/etc'], expect: labelled('passwd', 'system_u:object_r:passwd_file_t:s0') },
      },
      {
        title: 'force:true sets the whole context',
        setup: [...TREE, ['selinux-relabel', SPEC, '/'], ['write', `${SPEC}.local`, '/etc/passwd\tstaff_u:staff_r:passwd_file_t:s0\n']],
        args: [SPEC, '/etc', 'force:true'],
        check: { run: ['llz', '/etc'], expect: labelled('passwd', 'staff_u:staff_r:passwd_file_t:s0') },
      },
      { setup: TREE, args: ['/etc/missing', '/'], error: /\/etc\/missing: No such file or directory/ },
      {
        title: 'a hostile spec: a back-reference is refused, naming the line',
        setup: [...TREE, ['write', '/bad', '/(a)\\1\tsystem_u:object_r:etc_t:s0\n']],
        args: ['/bad', '/'],
        error: /\/bad:1: unsupported regular expression/,
      },
      { readonly: true, setup: [], args: [SPEC, '/'], error: /read-only/ },
    ];
  },
});

export const records = [setfilesOp, selinuxRelabelOp] as const;
