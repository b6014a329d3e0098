#ifndef CLINUX_SHIM_H
#define CLINUX_SHIM_H
// Linux system calls and atomics that Glibc's Swift module map leaves out: epoll(7), eventfd(2),
// accept4(2), futex(2) and the rest below (several declared by glibc only under _GNU_SOURCE).
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/prctl.h>

/// Names the calling thread for the kernel (`/proc/PID/task/TID/comm`, `top -H`): 15 bytes at
/// most, the rest cut (prctl(2) is variadic, which Swift cannot call).
static inline int clinux_name_thread(const char *name) { return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0); }

#include <sys/resource.h>

/// Sets the calling thread's nice value (setpriority(2) on its thread id, which Linux applies to
/// that thread alone); raising it needs no privilege.
static inline int clinux_set_thread_niceness(int niceness) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), niceness);
}

/// accept4(2) with the flags given (SOCK_NONBLOCK, SOCK_CLOEXEC), through syscall(2).
static inline int clinux_accept4(int socket, struct sockaddr *address, socklen_t *length, int flags) {
    return (int)syscall(SYS_accept4, socket, address, length, flags);
}

// The writer queue's shared words (EdgeStore's WriterTurnstile): atomic operations on memory
// mapped by several processes, and the futex(2) calls that sleep and wake on them (Glibc's
// module map has neither; `syscall` is variadic, which Swift cannot call); the write-back of a
// range and the open-file-description locks EdgeStore uses.
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/// Atomically loads the 32-bit word at `word`.
static inline uint32_t clinux_atomic_load(uint32_t *word) { return __atomic_load_n(word, __ATOMIC_SEQ_CST); }

/// Atomically stores `value` in the 32-bit word at `word`.
static inline void clinux_atomic_store(uint32_t *word, uint32_t value) { __atomic_store_n(word, value, __ATOMIC_SEQ_CST); }

/// Atomically adds `value` to the word at `word`; its value before.
static inline uint32_t clinux_atomic_add(uint32_t *word, uint32_t value) {
    return __atomic_fetch_add(word, value, __ATOMIC_SEQ_CST);
}

/// Atomically sets the word at `word` to `desired` if it is `expected`; 1 when it was.
static inline int clinux_atomic_swap_if(uint32_t *word, uint32_t expected, uint32_t desired) {
    return __atomic_compare_exchange_n(word, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/// Sleeps while the word at `word` is `expected`, at most `nanoseconds`; woken by
/// `clinux_futex_wake` on the same word in any process that maps it.
static inline void clinux_futex_wait(uint32_t *word, uint32_t expected, long nanoseconds) {
    struct timespec timeout = {nanoseconds / 1000000000, nanoseconds % 1000000000};
    syscall(SYS_futex, word, FUTEX_WAIT, expected, &timeout, (void *)0, 0);
}

/// The calling thread's id (gettid(2)), which `kill(id, 0)` finds while the thread lives.
static inline uint32_t clinux_thread_id(void) { return (uint32_t)syscall(SYS_gettid); }

/// Atomically stores `value` in the 64-bit word at `word`.
static inline void clinux_atomic_store64(uint64_t *word, uint64_t value) {
    __atomic_store_n(word, value, __ATOMIC_SEQ_CST);
}

/// Atomically loads the 64-bit word at `word`.
static inline uint64_t clinux_atomic_load64(uint64_t *word) { return __atomic_load_n(word, __ATOMIC_SEQ_CST); }

/// Wakes every process sleeping on the word at `word`.
static inline void clinux_futex_wake(uint32_t *word) {
    syscall(SYS_futex, word, FUTEX_WAKE, 0x7fffffff, (void *)0, (void *)0, 0);
}

/// Writes the dirty pages of `fd` in [offset, offset + length) to the disk and waits for them
/// (`sync_file_range` with WAIT_BEFORE, WRITE and WAIT_AFTER, through syscall(2): Glibc declares it
/// only under _GNU_SOURCE). It does not flush the disk's cache; an fdatasync must follow.
static inline int clinux_write_back_range(int fd, int64_t offset, int64_t length) {
    return (int)syscall(SYS_sync_file_range, fd, offset, length, 1 | 2 | 4);
}

#include <fcntl.h>

/// Sets an open file description lock (`F_OFD_SETLK`, which Glibc declares only under
/// _GNU_SOURCE) of `type` (F_RDLCK, F_WRLCK, F_UNLCK) on byte `offset` of `fd`, without waiting;
/// 0 or -1 with errno (EAGAIN: another open file holds a lock that conflicts). Unlike a POSIX
/// lock, it belongs to the open file and lives until the last descriptor of it is closed; the
/// kernel drops it when its process dies, and a boot finds none.
static inline int clinux_ofd_lock(int fd, short type, int64_t offset) {
    struct flock lock = {.l_type = type, .l_whence = SEEK_SET, .l_start = offset, .l_len = 1, .l_pid = 0};
    return fcntl(fd, 37 /* F_OFD_SETLK */, &lock);
}

/// 1 when another open file holds a lock on byte `offset` of `fd` that a write lock would
/// conflict with (`F_OFD_GETLK`), 0 when none does, -1 with errno.
static inline int clinux_ofd_locked(int fd, int64_t offset) {
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = offset, .l_len = 1, .l_pid = 0};
    if (fcntl(fd, 36 /* F_OFD_GETLK */, &lock) != 0) return -1;
    return lock.l_type != F_UNLCK;
}

#endif
