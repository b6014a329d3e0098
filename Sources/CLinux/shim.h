#ifndef CLINUX_SHIM_H
#define CLINUX_SHIM_H
// Linux system calls that Glibc's Swift module map leaves out: epoll(7), eventfd(2), and
// accept4(2), which glibc declares only under _GNU_SOURCE.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/// accept4(2) with the flags given (SOCK_NONBLOCK, SOCK_CLOEXEC), through syscall(2).
static inline int clinux_accept4(int socket, struct sockaddr *address, socklen_t *length, int flags) {
    return (int)syscall(SYS_accept4, socket, address, length, flags);
}

#endif
