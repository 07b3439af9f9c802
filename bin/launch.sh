# Sourced by the bin/ shims: joot_exec TOOL SCRIPT [ARGS…] replaces the shell with
# `node <repo>/dist/SCRIPT ARGS…`. As root (and where unshare exists), the tool runs in a
# private mount namespace: every mount it makes vanishes when its process tree dies, even
# on SIGKILL. JOOT_NO_UNSHARE=1 opts out; JOOT_IN_NS marks that we are already inside one.
# joot_exec_here TOOL SCRIPT [ARGS…] never unshares: for commands that must act on the
# host's own mount namespace (joot cleanup unmounts what dead sessions left there).
# The caller sets JOOT_SELF to its path, resolved when it is a symlink (npm runs the shims
# through symlinks), and sources this file from the same directory. No subprocesses here:
# every fork is a millisecond of every tool's start.

JOOT_ROOT=${JOOT_SELF%/*}/..

# node reads and parses the whole NODE_EXTRA_CA_CERTS bundle at every start (40 ms of a 67 ms
# start where it names the system bundle), and joot's node code makes no TLS connection: it
# is moved aside. `joot enter` still passes it to the guest when pass_thru_env names it.
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
  JOOT_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  export JOOT_NODE_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
fi

# A young generation of 1 MiB (V8 grows it to 16): garbage buffers of a long read (tar-out of a
# guest's /usr) are collected sooner, which keeps peak RSS ~20 MiB lower at no measurable cost.
JOOT_NODE_FLAGS=--max-semi-space-size=1

joot_find() {
  joot_script=$JOOT_ROOT/dist/$2
  if [ ! -f "$joot_script" ]; then
    echo "$1: not built: run 'npm run build' in $JOOT_ROOT" >&2
    exit 2
  fi
}

joot_exec_here() {
  joot_find "$1" "$2"
  shift 2
  exec node $JOOT_NODE_FLAGS "$joot_script" "$@"
}

joot_exec() {
  joot_find "$1" "$2"
  shift 2
  if [ "${JOOT_NO_UNSHARE:-}" != 1 ] && [ -z "${JOOT_IN_NS:-}" ] &&
    [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
    JOOT_IN_NS=1
    export JOOT_IN_NS
    exec unshare --mount --propagation private node $JOOT_NODE_FLAGS "$joot_script" "$@"
  fi
  exec node $JOOT_NODE_FLAGS "$joot_script" "$@"
}
