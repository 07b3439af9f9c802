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
  exec node "$joot_script" "$@"
}

joot_exec() {
  joot_find "$1" "$2"
  shift 2
  joot_node "$joot_script" "$@"
}

# joot_node NODE-ARGS…: exec node, in a private mount namespace as above
joot_node() {
  if [ "${JOOT_NO_UNSHARE:-}" != 1 ] && [ -z "${JOOT_IN_NS:-}" ] &&
    [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
    # JOOT_NS_FRESH: the tool drops the other sessions' mounts copied into its namespace
    JOOT_IN_NS=1 JOOT_NS_FRESH=1
    export JOOT_IN_NS JOOT_NS_FRESH
    exec unshare --mount --propagation private node "$@"
  fi
  exec node "$@"
}

# joot_exec_ro TOOL SCRIPT [ARGS…]: joot_exec for the read-only tools, under Node's permission
# model (src/core/sandbox.ts): the tool may read joot's code, the configuration files and each
# file an argument names (ARG, or VALUE of --opt=VALUE), and nothing else; it may start one
# process, itself again without the sandbox, for what needs more (the tool decides). No
# subprocess on the common path: only a symlinked argument costs a readlink. Off with
# JOOT_NO_SANDBOX=1, and while the tool's code cache is missing (that first run writes it).
joot_exec_ro() {
  joot_find "$1" "$2"
  joot_tool=$1
  shift 2
  case ${JOOT_NO_SANDBOX:-}$JOOT_ROOT in 1* | *,*) joot_node "$joot_script" "$@" ;; esac
  case $joot_script in
  *.cjs)
    joot_cached=
    for joot_c in "$JOOT_ROOT/dist/bundle/$joot_tool-code.cjs."*.cache; do
      [ -f "$joot_c" ] && joot_cached=1
    done
    [ -n "$joot_cached" ] || joot_node "$joot_script" "$@"
    ;;
  esac
  # the kernel engine and keys read from stdin: outside from the start (running again later
  # would leave a session record under another pid, or find stdin read); jinspect --batch too
  # (its images come from patterns and lists, and it keeps a cache), --queue/--worker too (they
  # open sockets, and a worker starts its job processes)
  [ "${JOOT_ENGINE:-}" = kernel ] && joot_node "$joot_script" "$@"
  joot_prev=
  for joot_arg; do
    case $joot_prev/$joot_arg in
    --engine/kernel | */--engine=kernel | */--keys-from-stdin | */--batch | */--ndjson | */--queue | */--queue=* | */--worker | */--worker=*) joot_node "$joot_script" "$@" ;;
    esac
    joot_prev=$joot_arg
  done
  # The files to allow: those the arguments name (with JOOT_RO_FILE_OPTS set, only the values
  # of those options) and the configuration files (which need not exist: their absence must
  # read as ENOENT). Node 20 aborts when two flags name one path, so each is passed as a
  # normal absolute path (relative ones under $PWD; others are left out), compared as strings;
  # a symlink also by its target (a readlink: the only subprocess, and only then). Left out
  # too: a name with a comma (node splits values there) or named package.json (joot's own is
  # allowed). The tool runs again outside the sandbox when it needs what was left out.
  joot_nl='
'
  joot_seen=$joot_nl
  joot_opt=
  joot_i=0
  joot_home=${HOME:-}
  while [ "${joot_home%/}" != "$joot_home" ]; do joot_home=${joot_home%/}; done
  for joot_arg in "$@" "${JOOT_CONFIG:-}" "$joot_home/.joot" /etc/joot.cfg; do
    joot_i=$((joot_i + 1))
    if [ "$joot_i" -gt $# ]; then
      joot_file=$joot_arg # a configuration file
    else
      if [ -n "${JOOT_RO_FILE_OPTS:-}" ]; then
        joot_orig=$joot_arg
        case " $JOOT_RO_FILE_OPTS " in
        *" $joot_opt "*) ;;
        *) case $joot_arg in --*=*) case " $JOOT_RO_FILE_OPTS " in *" ${joot_arg%%=*} "*) ;; *) joot_arg= ;; esac ;; *) joot_arg= ;; esac ;;
        esac
        joot_opt=$joot_orig
      fi
      case $joot_arg in --*=*) joot_arg=${joot_arg#*=} ;; esac
      [ -n "$joot_arg" ] && [ -f "$joot_arg" ] || continue
      joot_file=$joot_arg
      if [ -L "$joot_arg" ]; then
        joot_link=$(readlink -f -- "$joot_arg") && joot_file=$joot_file$joot_nl$joot_link
      fi
    fi
    joot_ifs=$IFS
    IFS=$joot_nl
    set -f
    for joot_arg in $joot_file; do
      case $joot_arg in /*) ;; *) joot_arg=$PWD/$joot_arg ;; esac
      case $joot_arg in
      *,* | *//* | */./* | */../* | */. | */.. | */ | */package.json | [!/]* | /.joot) continue ;;
      esac
      case $joot_seen in *"$joot_nl$joot_arg$joot_nl"*) continue ;; esac
      joot_seen=$joot_seen$joot_arg$joot_nl
    done
    IFS=$joot_ifs
    set +f
  done
  joot_n=$#
  joot_ifs=$IFS
  IFS=$joot_nl
  set -f
  for joot_arg in $joot_seen; do
    set -- "$@" "--allow-fs-read=$joot_arg"
  done
  IFS=$joot_ifs
  set +f
  # then the script, then the arguments again
  set -- "$@" "$joot_script"
  while [ "$joot_n" -gt 0 ]; do
    joot_arg=$1
    shift
    set -- "$@" "$joot_arg"
    joot_n=$((joot_n - 1))
  done
  # joot's code: dist/, and node_modules for what loads at run time (sql.js's wasm), also where
  # a checkout links node_modules elsewhere (a readlink, then)
  if [ -L "$JOOT_ROOT/node_modules" ] && joot_arg=$(readlink -f -- "$JOOT_ROOT/node_modules"); then
    case $joot_arg in *,*) ;; /*) set -- "--allow-fs-read=$joot_arg/" "$@" ;; esac
  fi
  # No private mount namespace: the sandboxed run mounts nothing (the run again outside it gets
  # one, core/run.ts), and unshare costs every start ~8 ms.
  exec node --experimental-permission --disable-warning=ExperimentalWarning --disable-warning=SecurityWarning \
    --allow-child-process "--allow-fs-read=$JOOT_ROOT/dist/" "--allow-fs-read=$JOOT_ROOT/package.json" \
    "--allow-fs-read=$JOOT_ROOT/node_modules/" "$@"
}
