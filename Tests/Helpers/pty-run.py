#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal, as a person's terminal would, and keeps what it draws.

usage: pty-run.py OUTPUT ROWS COLUMNS -- COMMAND...

The terminal is ROWS x COLUMNS from the command's first instruction on; every byte the command
writes is appended to OUTPUT as it comes. SIGTERM is passed on to the command. Exits with the
command's exit status (128 + N when signal N ended it).
"""
import fcntl
import os
import pty
import signal
import struct
import sys
import termios


def main():
    output, rows, columns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if sys.argv[4] != "--":
        sys.exit("usage: pty-run.py OUTPUT ROWS COLUMNS -- COMMAND...")
    command = sys.argv[5:]
    # A test runner's thread may have started this with signals blocked: the command inherits
    # the mask, and SIGTERM would never end it.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    pid, descriptor = pty.fork()
    if pid == 0:
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        os.execvp(command[0], command)
    signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGTERM))
    with open(output, "ab", buffering=0) as kept:
        while True:
            try:
                data = os.read(descriptor, 65536)
            except InterruptedError:
                continue
            except OSError:  # EIO: the command closed the terminal (it ended)
                break
            if not data:
                break
            kept.write(data)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


if __name__ == "__main__":
    main()
