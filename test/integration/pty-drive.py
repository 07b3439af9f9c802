# Drive a program through a pseudo-terminal, for the jfish shell tests:
#   python3 pty-drive.py '["prog", "arg"…]' '[["text to send", "wait"], …]'
# "wait" is "prompt" (the next `><fs> `), "eof", or a string that must appear next.
# Prints the whole transcript; exits with the program's status (99 on a timeout).
import json, os, pty, select, sys, time

argv = json.loads(sys.argv[1])
steps = json.loads(sys.argv[2])
PROMPT = b'><fs> '
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)

buf = b''
eof = False

def pump(timeout):
    global buf, eof
    r, _, _ = select.select([fd], [], [], timeout)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if not data:
            eof = True
        buf += data

def wait(what, start, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if what == 'eof':
            if eof:
                return True
        elif what == 'prompt':
            if buf.find(PROMPT, start) >= 0:
                return True
        elif buf.find(what.encode(), start) >= 0:
            return True
        if eof:
            return False
        pump(0.2)
    return False

ok = wait('prompt', 0)
for send, what in steps:
    if not ok:
        break
    start = len(buf)
    os.write(fd, send.encode())
    ok = wait(what, start)
if not eof:
    wait('eof', len(buf), 10 if ok else 1)
sys.stdout.write(buf.decode('utf8', 'replace'))
sys.stdout.flush()
if not eof:
    # SIGTERM, not SIGKILL: jfish releases its disks on the way out
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        pass
    end = time.time() + 30
    while not eof and time.time() < end:
        pump(0.2)
_, status = os.waitpid(pid, 0)
sys.exit(99 if not ok else os.waitstatus_to_exitcode(status))
