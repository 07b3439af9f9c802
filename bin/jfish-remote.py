#!/usr/bin/python3 -IS
# The light `jfish --remote[=PID] [--] CMD ARGS [: CMD ARGS …]` client: what
# src/tools/jfish/remote-client.ts does for commands on the command line, without node's
# ~45 ms start with the client code (bin/jfish runs this with `python3 -I -S` when it can). Same PID lookup, socket
# directories and safety checks (src/tools/jfish/remote.ts), request frame, output bytes, exit
# status and one-line errors. Anything else goes to the node client, before a byte is sent: no
# commands (a script on stdin, or the usage error), a socket path or working directory we
# cannot use. The server never asks a one-shot request for a host command ('H' frames are for
# scripts); if it does anyway, or sends a frame we do not know, that is an error.
# Stdlib builtins only and no json/re/socket/signal modules: each costs milliseconds to import.
import os
import sys
import _signal
import _socket

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
NODE_SCRIPT = os.path.join(ROOT, 'dist', 'bundle', 'jfish.mjs')
ERRNO_NAMES = {}  # filled lazily by code()


class ClientError(Exception):
    def __init__(self, message, status=1):
        Exception.__init__(self, message)
        self.status = status


class UseNode(Exception):
    """Not ours to handle: exec the node client (nothing was sent yet)."""


def code(e):
    """The errno name node would report (e.code), e.g. EACCES; else the message."""
    if not ERRNO_NAMES:
        import errno
        ERRNO_NAMES.update(errno.errorcode)
    return ERRNO_NAMES.get(e.errno, str(e)) if e.errno else str(e)


def utf8(b):
    """Bytes as node sees them (argv, env, paths are decoded as UTF-8, lossily)."""
    return b.decode('utf-8', 'replace')


def write_all(fd, data, dead):
    """Write everything to fd; a closed reader (EPIPE…) just drops the output, as in node."""
    if fd in dead:
        return
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:  # an O_NONBLOCK stdio inherited from the parent
            import select
            select.select([], [fd], [])
            continue
        except InterruptedError:
            continue
        except OSError:
            dead.add(fd)
            return
        view = view[n:]


def say(msg):
    write_all(2, ('jfish: %s\n' % msg).encode('utf-8', 'surrogateescape'), set())


def json_str(s):
    """JSON.stringify of a string (s has no lone surrogates)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"' or ch == '\\':
            out.append('\\' + ch)
        elif o < 0x20:
            out.append({8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r'}.get(o) or '\\u%04x' % o)
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def parse_args(argv, env):
    """remote-client.ts parseRemoteArgs: (pid, commands); raises ClientError or UseNode."""
    pid_text = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == '--':
            i += 1
            break
        if a == '--remote':
            i += 1
            continue
        if a.startswith('--remote='):
            pid_text = a[len('--remote='):]
        elif a.startswith('-') and a != '-':
            raise ClientError('%s: only --remote[=PID] can be given with --remote (the server has the disks and options)' % a, 2)
        else:
            break
        i += 1
    source = '--remote=PID'
    if pid_text is None:
        pid_text = env.get(b'JFISH_PID')
        pid_text = None if pid_text is None else utf8(pid_text)
        source = 'JFISH_PID'
        if not pid_text:
            raise ClientError('--remote: no server given: set JFISH_PID (eval "$(jfish --listen -a IMAGE …)") or use --remote=PID', 2)
    if not (1 <= len(pid_text) <= 10 and pid_text[0] in '123456789' and all(c in '0123456789' for c in pid_text)):
        raise ClientError("--remote: %s '%s' is not a process id" % (source, pid_text), 2)
    commands = []
    cur = []
    for w in argv[i:]:  # words.ts splitCommands
        if w == ':':
            if cur:
                commands.append(cur)
            cur = []
        else:
            cur.append(w)
    if cur:
        commands.append(cur)
    if not commands:
        raise UseNode()  # a script on stdin, or node's "no commands given"
    return int(pid_text), commands


def node_join(*parts):
    """node's path.join: joined, then normalized (a leading '//' becomes '/')."""
    p = os.path.normpath(os.path.join(*parts))  # the parts after the first are relative
    return '/' + p.lstrip('/') if p.startswith('/') else p


def socket_dirs(env):
    """remote.ts socketDirs."""
    dirs = []
    xdg = env.get(b'XDG_RUNTIME_DIR')
    if xdg and xdg.startswith(b'/'):
        xdg = utf8(xdg)
        try:
            st = os.lstat(xdg)
            if (st.st_mode & 0o170000) == 0o040000 and st.st_uid == os.getuid() and (st.st_mode & 0o777) == 0o700:
                dirs.append(node_join(xdg, 'jfish'))
        except OSError:
            pass
    run = env.get(b'JOOT_RUN_DIR')
    dirs.append(node_join('/run/joot' if run is None else utf8(run), 'jfish'))
    return dirs


def unsafe_dir(d):
    """remote.ts unsafeDir."""
    try:
        st = os.lstat(d)
    except OSError as e:
        return 'cannot use %s: %s' % (d, code(e))
    if (st.st_mode & 0o170000) != 0o040000:
        return '%s is not a directory' % d
    if st.st_uid != os.getuid():
        return '%s is owned by uid %d, not by us (uid %d)' % (d, st.st_uid, os.getuid())
    if st.st_mode & 0o077:
        return '%s is accessible to other users (mode %o)' % (d, st.st_mode & 0o777)
    return None


def find_socket(pid, env):
    """remote-client.ts findSocket."""
    tried = []
    for d in socket_dirs(env):
        sock = node_join(d, 'jfish-%d.sock' % pid)
        if os.path.exists(sock):
            why = unsafe_dir(d)
            if why:
                raise ClientError('--remote: refusing %s: %s' % (sock, why))
            return sock
        tried.append(sock)
    raise ClientError('--remote: no jfish server with pid %d (no socket %s; start one with jfish --listen)' % (pid, ' or '.join(tried)))


def to_fixed3(x):
    """Number.prototype.toFixed(3): the exact value, ties away from zero."""
    p, q = abs(x).as_integer_ratio()
    n = (2 * p * 1000 + q) // (2 * q)
    s = '%d.%03d' % (n // 1000, n % 1000)
    return '-' + s if x < 0 and n else s


def parse_done(payload):
    """The 'D' payload {status, ms}: the usual shape by hand, anything else with json."""
    text = payload.decode('utf-8', 'replace')
    try:
        head, ms = text.split(',"ms":')
        if head.startswith('{"status":') and ms.endswith('}'):
            return int(head[len('{"status":'):]), float(ms[:-1])
    except ValueError:
        pass
    import json
    done = json.loads(text)
    status = done['status']
    if not isinstance(status, int):
        raise ValueError('status %r is not an integer' % (status,))
    return status, float(done['ms'])


def exchange(sock, pid, request, env):
    """remote-client.ts exchange, for a one-shot request: the exit status."""
    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    fail = lambda e: ClientError('--remote: cannot talk to the jfish server with pid %d (%s): %s' % (
        pid, sock, 'it is not running (stale socket?)' if isinstance(e, (ConnectionRefusedError, FileNotFoundError)) else code(e)))
    try:
        conn.connect(sock.encode('utf-8', 'surrogateescape'))
    except OSError as e:
        if not e.errno:
            raise UseNode()  # e.g. a path too long for sockaddr_un: node says what it says
        raise fail(e)
    try:
        body = request.encode('utf-8')
        conn.sendall((len(body) + 1).to_bytes(4, 'big') + b'R' + body)
        buf = bytearray()
        dead = set()
        status = None
        while True:
            chunk = conn.recv(262144)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 5:
                n = int.from_bytes(buf[:4], 'big')
                if n < 1:
                    raise ClientError('--remote: bad reply from the server: Error: bad frame')
                if len(buf) < 4 + n:
                    break
                kind = buf[4]
                payload = bytes(buf[5:4 + n])
                del buf[:4 + n]
                if kind == 0x4f:  # 'O'
                    write_all(1, payload, dead)
                elif kind == 0x45:  # 'E'
                    write_all(2, payload, dead)
                elif kind == 0x44:  # 'D'
                    try:
                        status, ms = parse_done(payload)
                    except (ValueError, KeyError, TypeError) as e:
                        raise ClientError('--remote: bad reply from the server: %s' % e)
                    if env.get(b'JFISH_REMOTE_TIMING') == b'1':
                        write_all(2, ('jfish: --remote: server time %s ms\n' % to_fixed3(ms)).encode(), dead)
                    conn.shutdown(_socket.SHUT_WR)
                elif kind == 0x48:  # 'H'
                    raise ClientError('--remote: the server asked to run a host command, which only a script does (jfish --remote < SCRIPT)')
                else:
                    raise ClientError('--remote: unexpected frame %r from the server' % chr(kind))
    except OSError as e:
        raise fail(e)
    finally:
        conn.close()
    if status is None:
        raise ClientError('--remote: the jfish server with pid %d closed the connection without an answer' % pid)
    return status


def exec_node(argv):
    if not os.path.isfile(NODE_SCRIPT):
        say("not built: run 'npm run build' in %s" % ROOT)
        os._exit(2)
    _signal.signal(_signal.SIGPIPE, _signal.SIG_DFL)  # python ignores it; exec would keep that
    try:
        os.execvp('node', ['node', NODE_SCRIPT] + argv)
    except OSError as e:
        say('cannot run node: %s' % e)
        os._exit(127)


def main():
    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)  # ^C kills us quietly, as it does node
    raw = sys.argv[1:]
    env = os.environb
    try:
        pid, commands = parse_args([utf8(os.fsencode(a)) for a in raw], env)
        sock = find_socket(pid, env)
        try:
            cwd = utf8(os.getcwdb())
        except OSError:
            raise UseNode()
        # tty: the server escapes guest text for our terminal (as the node client asks)
        request = '{"commands":[%s],"cwd":%s,"tty":%s}' % (
            ','.join('[%s]' % ','.join(json_str(w) for w in c) for c in commands), json_str(cwd),
            'true' if os.isatty(1) else 'false')
        status = exchange(sock, pid, request, env)
    except UseNode:
        exec_node(raw)
    except ClientError as e:
        say(str(e))
        status = e.status
    os._exit(status & 0xff)


main()
