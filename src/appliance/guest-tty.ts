// joot enter on a terminal: the guest program never gets the user's terminal. A program that
// holds a terminal can push input into it (ioctl TIOCSTI: the user's shell runs it after joot
// returns) or reconfigure it; so the program runs on a pty of the container's own devpts
// instance (newinstance), as its controlling terminal in a session of its own, and a relay on
// the host copies bytes between that pty's master and the user's terminal — as
// `systemd-nspawn --console=interactive` and `machinectl shell` do.
//
//   setpriv --pdeathsig TERM            the relay ends (cleanly) with joot
//   └ python3 RELAY ROOT -- CONTAINER…  the user's terminal in raw mode (restored on every way
//       │                               out), the pty master, window size (SIGWINCH), the status
//       └ CONTAINER (guest-exec.ts, its own session, no descriptor of the user's terminal)
//           the setup script mounts the devpts, says `pts DIR` on fd 3 and waits on fd 4; the
//           relay opens DIR/ptmx through /proc/PID/root (the container's mount namespace),
//           unlocks it and answers the pty's number; the starter (guest-confine.ts) makes that
//           pty the program's controlling terminal, on the descriptors that were terminals
//
// The relay is outside the container's PID namespace (the program cannot see it, signal it or
// ptrace it) and holds the only descriptor of the master. Python, not util-linux `script`
// (which allocates from the host's /dev/ptmx) nor node (which has no ioctl): python3 is a setup
// dependency already, and this path is interactive, where its ~30 ms start does not show.
//
// ^C and ^\ travel as bytes through the pty's line discipline. The program is pid 1 of its
// namespace, which the kernel spares from signals it has no handler for: when the foreground
// process group is that pid 1 and it neither catches nor ignores the signal the byte raises,
// the relay kills the namespace instead (exit 128+N), as the signal would have killed a
// normal process. A pid 1 that catches it may be a shell in the instant before it execs a
// program that does not (`sh -c '…; exec sleep 60'`): the shell never acts on it, so the
// relay looks again every 30 ms for up to a second and kills the namespace once pid 1 runs
// another program that would not see it. SIGTERM or SIGHUP to the relay kills the namespace
// (exit 128+N); SIGINT or SIGQUIT to it (the terminal's, when stdin is not the terminal)
// becomes that byte.
//
// Descriptors that are not terminals (`joot enter e -- cat x > file`) are handed to the
// program as they are, as without a terminal: their bytes stay exact.

/** The relay's command line around the container's (exported for the unit tests). */
export function relayCommand(root: string, cmd: string, args: readonly string[]): { cmd: string; args: string[] } {
  return { cmd: 'setpriv', args: ['--pdeathsig', 'TERM', '--', 'python3', '-I', '-S', '-c', RELAY, root, '--', cmd, ...args] };
}

const RELAY = String.raw`
import fcntl, os, select, signal, struct, sys, termios, time
cmd = sys.argv[3:]
ttys = [fd for fd in (0, 1, 2) if os.isatty(fd)]
user = ttys[0]
out_fd = 1 if 1 in ttys else (2 if 2 in ttys else None)
in_fd = 0 if 0 in ttys else None
TIOCGPTN = getattr(termios, 'TIOCGPTN', 0x80045430)
TIOCSPTLCK = getattr(termios, 'TIOCSPTLCK', 0x40045431)
TIOCGPTPEER = 0x5441

st_r, st_w = os.pipe()
go_r, go_w = os.pipe()
err_r, err_w = os.pipe() if 2 in ttys else (None, None)
wake_r, wake_w = os.pipe()
os.set_blocking(wake_r, False)
os.set_blocking(wake_w, False)
env = dict(os.environ)
env['JOOT_TTY_FDS'] = ''.join(str(fd) for fd in ttys)
try:
    saved = termios.tcgetattr(user)
except termios.error:
    saved = None

pid = os.fork()
if pid == 0:
    try:
        # the program starts with default signal dispositions and nothing blocked: Python ignores
        # SIGPIPE from its start, and an ignored signal survives exec (a guest "yes | head" would
        # then see EPIPE instead of dying of SIGPIPE)
        for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGHUP, signal.SIGTERM,
                  signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGCHLD, signal.SIGWINCH, signal.SIGALRM):
            signal.signal(s, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.setsid()
        null = os.open('/dev/null', os.O_RDWR)
        keep = {0: null if 0 in ttys else 0, 1: null if 1 in ttys else 1, 2: err_w if 2 in ttys else 2, 3: st_w, 4: go_r}
        high = {t: fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for t, fd in keep.items()}
        for t, fd in high.items():
            os.dup2(fd, t, inheritable=True)
        os.execvpe(cmd[0], cmd, env)
    except BaseException as e:
        os.write(2, ('cannot start the container: %s\n' % e).encode())
    os._exit(127)
for fd in (st_w, go_r, err_w):
    if fd is not None:
        os.close(fd)

events = []
def on_signal(sig, frame):
    events.append(sig)
for s in (signal.SIGCHLD, signal.SIGWINCH, signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT):
    signal.signal(s, on_signal)
signal.set_wakeup_fd(wake_w)

master = None
status = None
killed = None
pending = b''
status_buf = b''

def kill_all(sig):
    global killed
    if killed is None:
        killed = sig
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass

def winsize():
    if master is None:
        return
    try:
        fcntl.ioctl(master, termios.TIOCSWINSZ, fcntl.ioctl(user, termios.TIOCGWINSZ, b'\0' * 8))
    except OSError:
        pass

def open_pty(d):
    global master
    m = os.open('/proc/%d/root%s/ptmx' % (pid, d), os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    fcntl.ioctl(m, TIOCSPTLCK, struct.pack('i', 0))
    n = struct.unpack('I', fcntl.ioctl(m, TIOCGPTN, b'\0' * 4))[0]
    # a pty of the container's own devpts, never one of the host's
    peer = fcntl.ioctl(m, TIOCGPTPEER, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        try:
            host = os.stat('/dev/pts').st_dev
        except OSError:
            host = None
        if os.fstat(peer).st_dev == host:
            raise OSError('it is one of the host devpts')
    finally:
        os.close(peer)
    if saved is not None:
        termios.tcsetattr(m, termios.TCSANOW, saved)
    master = m
    os.set_blocking(master, False)
    winsize()
    return n

def init_pid():
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            kids = f.read().split()
        return int(kids[0]) if kids else None
    except OSError:
        return None

def sees(p, signo):
    try:
        with open('/proc/%d/status' % p) as f:
            text = f.read()
    except OSError:
        return True
    mask = 0
    for line in text.splitlines():
        if line.startswith('SigCgt:') or line.startswith('SigIgn:'):
            mask |= int(line.split()[1], 16)
    return bool(mask & (1 << (signo - 1)))

def image(p):
    try:
        return os.readlink('/proc/%d/exe' % p)
    except OSError:
        return None

# (when, signal, pid 1, its program, until when): a signal pid 1 caught as the byte came,
# looked at again. Raised in the instant before an exec (a shell's "exec sleep"), it is
# caught by the shell, which would act on it after the command it is running, and the exec
# comes first: the new program never sees it, where it would have killed a normal process.
# So while pid 1 still runs the program that caught it, the relay looks again every 30 ms
# (a loaded host may run the exec late), for up to a second; once pid 1 runs another program
# that would not see the signal, it is delivered as a kill. Only this soon: a script that
# handled the signal itself and execs more than a second later goes on.
rechecks = []
RECHECK_EVERY = 0.03
RECHECK_FOR = 1.0

def recheck_due():
    now = time.monotonic()
    for entry in [e for e in rechecks if e[0] <= now]:
        rechecks.remove(entry)
        _, sig, init, exe, until = entry
        if killed is not None or init_pid() != init:
            continue
        if image(init) == exe:
            if now < until:
                rechecks.append((now + RECHECK_EVERY, sig, init, exe, until))
            continue
        try:
            fg = os.tcgetpgrp(master)
        except OSError:
            continue
        if fg == init and not sees(init, sig):
            kill_all(sig)

def next_recheck():
    return max(0.0, min(e[0] for e in rechecks) - time.monotonic()) if rechecks else None

def signal_bytes(data):
    # the signals these bytes raise in the pty, that pid 1 would never see
    try:
        attrs = termios.tcgetattr(master)
    except termios.error:
        return
    if not attrs[3] & termios.ISIG:
        return
    for key, sig in ((termios.VINTR, signal.SIGINT), (termios.VQUIT, signal.SIGQUIT)):
        c = attrs[6][key]
        if c != b'\0' and c in data:
            init = init_pid()
            try:
                fg = os.tcgetpgrp(master)
            except OSError:
                fg = None
            if init is not None and fg == init:
                # its program before its handlers: an exec between the two reads then shows as
                # a change of program (read after, the new program's name would pass for the
                # one that caught the signal, and the signal would be lost)
                exe = image(init)
                if not sees(init, sig):
                    kill_all(sig)
                    return
                now = time.monotonic()
                rechecks.append((now + RECHECK_EVERY, sig, init, exe, now + RECHECK_FOR))

def write_all(fd, data):
    while data:
        try:
            data = data[os.write(fd, data):]
        except BlockingIOError:
            select.select([], [fd], [])

def status_line(line):
    if line.startswith(b'pts /'):
        n = None
        try:
            n = open_pty(line[4:].decode())
        except OSError as e:
            os.write(2, ('cannot open a terminal for the program: %s\n' % e).encode())
        try:
            os.write(go_w, (b'%d\n' % n) if n is not None else b'\n')
        except OSError:
            pass
    elif line == b'ready':
        try:
            os.write(3, b'ready\n')
        except OSError:
            pass

def inject(sig):
    # a SIGINT/SIGQUIT to the relay: the byte the pty turns into that signal
    global pending
    if master is None:
        kill_all(sig)
        return
    try:
        c = termios.tcgetattr(master)[6][termios.VINTR if sig == signal.SIGINT else termios.VQUIT]
    except termios.error:
        return
    pending += c
    signal_bytes(c)

def handle_events():
    global status
    while events:
        sig = events.pop(0)
        if sig == signal.SIGCHLD:
            if status is None:
                p, st = os.waitpid(pid, os.WNOHANG)
                if p == pid:
                    status = st
        elif sig == signal.SIGWINCH:
            winsize()
        elif sig in (signal.SIGTERM, signal.SIGHUP):
            kill_all(sig)
        else:
            inject(sig)

raw_set = in_fd is not None and saved is not None
if raw_set:
    raw = termios.tcgetattr(0)
    raw[0] &= ~(termios.BRKINT | termios.ICRNL | termios.INPCK | termios.ISTRIP | termios.IXON)
    raw[1] &= ~termios.OPOST
    raw[2] = (raw[2] & ~(termios.CSIZE | termios.PARENB)) | termios.CS8
    raw[3] &= ~(termios.ECHO | termios.ICANON | termios.IEXTEN | termios.ISIG)
    raw[6][termios.VMIN] = 1
    raw[6][termios.VTIME] = 0
    termios.tcsetattr(0, termios.TCSADRAIN, raw)
try:
    events.append(signal.SIGCHLD)  # in case it came before the handler
    while True:
        handle_events()
        if status is not None:
            break
        recheck_due()
        rl = [wake_r] + [fd for fd in (st_r, err_r, master, in_fd) if fd is not None]
        wl = [master] if pending and master is not None else []
        r, w, _ = select.select(rl, wl, [], next_recheck())
        if wake_r in r:
            try:
                os.read(wake_r, 512)
            except BlockingIOError:
                pass
        if st_r is not None and st_r in r:
            d = os.read(st_r, 512)
            if not d:
                os.close(st_r)
                st_r = None
            status_buf += d
            while b'\n' in status_buf:
                line, status_buf = status_buf.split(b'\n', 1)
                status_line(line)
        if err_r is not None and err_r in r:
            d = os.read(err_r, 65536)
            if d:
                write_all(2, d)
            else:
                os.close(err_r)
                err_r = None
        if master is not None and master in r:
            try:
                d = os.read(master, 65536)
            except BlockingIOError:
                d = b''
            except OSError:
                d = b''
            if d and out_fd is not None:
                write_all(out_fd, d)
        if in_fd is not None and in_fd in r:
            d = os.read(in_fd, 65536)
            if not d:
                in_fd = None
            else:
                # typed ahead, before the pty is there: kept for it
                pending += d
                if master is not None:
                    signal_bytes(d)
        if master is not None and master in w and pending:
            try:
                pending = pending[os.write(master, pending):]
            except BlockingIOError:
                pass
            except OSError:
                pending = b''
    # the namespace is gone, and with it every holder of the pty: what it wrote last, and what
    # the setup said (every writer is gone: these reads end)
    while master is not None:
        try:
            d = os.read(master, 65536)
        except OSError:
            d = b''
        if not d:
            break
        if out_fd is not None:
            write_all(out_fd, d)
    while st_r is not None:
        d = os.read(st_r, 512)
        if not d:
            break
        status_buf += d
    if b'ready' in status_buf.split(b'\n'):
        status_line(b'ready')
    while err_r is not None:
        d = os.read(err_r, 65536)
        if not d:
            break
        write_all(2, d)
finally:
    if raw_set:
        try:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
        except termios.error:
            pass
if killed is not None:
    sys.exit(128 + killed)
sys.exit(128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
`;
