# Run a program with stdin, stdout and stderr on a new pseudo-terminal, for tests of what reaches
# a terminal: python3 pty-run.py '["prog", "arg"…]'. Prints everything the terminal received,
# base64-encoded (the bytes exactly), and exits with the program's status.
import base64, json, os, pty, sys

argv = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
buf = b''
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: the program and its children closed the terminal
        break
    if not data:
        break
    buf += data
_, st = os.waitpid(pid, 0)
sys.stdout.write(base64.b64encode(buf).decode())
sys.exit(os.waitstatus_to_exitcode(st))
