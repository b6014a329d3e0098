#ifndef WRITER_QUEUE_H
#define WRITER_QUEUE_H
// What EdgeStore's writer queue needs below Swift: a guard that keeps a `-writer` file shrunk by
// another process under a connection's mapping from killing the process with SIGBUS.
#include <stddef.h>

/// Guards the shared mapping of `size` bytes at `base`: should the file under it shrink, the
/// first access past its end, which would raise SIGBUS, finds zeroed private pages there instead
/// (the mapping is replaced, whole, in the signal handler) and `writer_queue_lost` says so. A
/// SIGBUS anywhere else goes to the handler installed before (the Swift runtime's backtracer, or
/// the default action). A slot number for the other calls, or -1 when every slot is taken.
int writer_queue_guard(void *base, size_t size);

/// Stops guarding the mapping of `slot` (before it is unmapped).
void writer_queue_unguard(int slot);

/// 1 once the mapping of `slot` was replaced with zeroed pages because its file shrank.
int writer_queue_lost(int slot);

#endif
