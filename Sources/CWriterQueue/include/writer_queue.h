#ifndef WRITER_QUEUE_H
#define WRITER_QUEUE_H
// What EdgeStore's writer queue needs below Swift: a guard that keeps a shrunken `-writer` file
// from killing the process with SIGBUS, and a look at (and the kernel's own repair of) the
// robust mutex a queue file copied or written over may hold locked for a thread that is gone.
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/// Guards the shared mapping of `size` bytes at `base`: should the file under it shrink, the
/// first access past its end, which would raise SIGBUS, finds zeroed private pages there instead
/// (the mapping is replaced, whole, in the signal handler) and `writer_queue_lost` reports it. A
/// SIGBUS anywhere else goes to the handler installed before (the Swift runtime's backtracer, or
/// the default action). A slot number for the other calls, or -1 when every slot is taken.
int writer_queue_guard(void *base, size_t size);

/// Stops guarding the mapping of `slot` (before it is unmapped).
void writer_queue_unguard(int slot);

/// 1 once the mapping of `slot` was replaced with zeroed pages because its file shrank.
int writer_queue_lost(int slot);

/// Replaces the `size` bytes at `base` with zeroed private pages, left mapped for good: for a
/// mapping a thread's robust-mutex list may still point into (its mutex was held while the bytes
/// under it were written over), which unmapping would turn into a dangling pointer in glibc's
/// list. The file's pages are let go. 0, or -1 with errno.
int writer_queue_abandon(void *base, size_t size);

/// The thread id in the lock word of `mutex` (a glibc robust mutex): who holds it; 0 when nobody,
/// or when its holder died and the kernel marked it so.
uint32_t writer_queue_mutex_holder(pthread_mutex_t *mutex);

/// Does for `mutex` what the kernel does when a thread dies holding a robust mutex, had it known
/// of it: while its lock word still names `holder`, marks it `FUTEX_OWNER_DIED`, and wakes a
/// waiter. The next locker then gets EOWNERDEAD. Only for a holder that is gone (or that cannot
/// be holding it): a lock word copied from another file, or from before a reboot. 1 when done.
int writer_queue_hand_on(pthread_mutex_t *mutex, uint32_t holder);

#endif
