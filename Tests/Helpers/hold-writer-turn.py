#!/usr/bin/env python3
"""A writer that holds a node database's turn, as one does when the power goes out mid-sale.

    hold-writer-turn.py WRITER_FILE

Maps WRITER_FILE (a database's `-writer` file), locks the turn's mutex at offset 64 with
pthread_mutex_lock, writes "held" to stderr and waits for a signal, never unlocking. It takes
none of the locks a node's own connections take on the file: it stands for the bytes a power cut
leaves, not for a connection.
"""
import ctypes
import mmap
import os
import signal
import sys

descriptor = os.open(sys.argv[1], os.O_RDWR)
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
