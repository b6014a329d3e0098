#!/usr/bin/env python3
"""A process that holds a node database's writer turn, or leaves bytes that say it does.

    hold-writer-turn.py WRITER_FILE
    hold-writer-turn.py --lock WRITER_FILE [DATABASE]

Without --lock: maps WRITER_FILE (a database's `-writer` file) and locks a robust mutex at
offset 64 with pthread_mutex_lock, as builds that kept the turn in a mutex there did; it stands
for the bytes a power cut or a copy leaves in the file, not for a connection.

With --lock: takes a POSIX write lock on byte 64 of WRITER_FILE, the turn's byte, as a process
that is not one of the node's writers would, and keeps it without writing; with DATABASE it also
begins a write transaction there (`BEGIN IMMEDIATE`): a writer hung in its turn.

Either way it writes "held" to stderr and waits for a signal, never letting go.
"""
import ctypes
import fcntl
import mmap
import os
import signal
import sqlite3
import sys

arguments = sys.argv[1:]
if arguments[:1] == ["--lock"]:
    descriptor = os.open(arguments[1], os.O_RDWR)
    fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 64, os.SEEK_SET)
    if len(arguments) > 2:
        connection = sqlite3.connect(arguments[2], isolation_level=None, timeout=10)
        connection.execute("BEGIN IMMEDIATE")
else:
    descriptor = os.open(arguments[0], os.O_RDWR)
    mapping = mmap.mmap(descriptor, 0)
    buffer = (ctypes.c_char * len(mapping)).from_buffer(mapping)
    libc = ctypes.CDLL(None, use_errno=True)
    result = libc.pthread_mutex_lock(ctypes.byref(buffer, 64))
    if result != 0:
        sys.stderr.write(f"pthread_mutex_lock failed: {result}\n")
        sys.exit(1)
sys.stderr.write("held\n")
sys.stderr.flush()
while True:
    signal.pause()
