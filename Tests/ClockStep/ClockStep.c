// An LD_PRELOAD library for tests that steps a process's wall clock as NTP or `date -s` would:
// `CLOCK_REALTIME` (and its coarse variant) in `clock_gettime`, `gettimeofday`, `time` and
// `timespec_get` read the real time plus a step, in seconds (`-3600`, `+90`, `2.5`), read from the
// file named by `CLOCK_STEP_FILE` on every call, so that a test steps the clock of a running
// process by rewriting the file. A missing or unreadable file is no step. Other clocks
// (`CLOCK_MONOTONIC`, `CLOCK_BOOTTIME`) and the kernel's own timers are untouched: a deadline a
// process computed from the wall clock and handed to the kernel (`pthread_mutex_timedlock`,
// `sem_timedwait`) then meets the real time, as it would after a real step.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ClockStep.h"

/// The step file's path, read once when the library is loaded (before `main`).
static const char *step_path;

__attribute__((constructor)) static void clock_step_load(void) { step_path = getenv(CLOCK_STEP_FILE_VARIABLE); }

/// The step in nanoseconds: the file's decimal number of seconds, 0 when there is none.
static long long step_nanoseconds(void) {
    if (step_path == NULL) return 0;
    int saved = errno;
    char text[64];
    long length = -1;
    int descriptor = (int)syscall(SYS_openat, AT_FDCWD, step_path, O_RDONLY | O_CLOEXEC);
    if (descriptor >= 0) {
        length = syscall(SYS_read, descriptor, text, sizeof text - 1);
        syscall(SYS_close, descriptor);
    }
    errno = saved;
    if (length <= 0) return 0;
    text[length] = 0;
    const char *next = text;
    while (*next == ' ' || *next == '\n') next++;
    int negative = *next == '-';
    if (*next == '-' || *next == '+') next++;
    long long seconds = 0, fraction = 0, scale = 1000000000;
    while (*next >= '0' && *next <= '9') seconds = seconds * 10 + (*next++ - '0');
    if (*next == '.') {
        next++;
        while (*next >= '0' && *next <= '9' && scale > 1) {
            scale /= 10;
            fraction += (*next++ - '0') * scale;
        }
    }
    long long step = seconds * 1000000000 + fraction;
    return negative ? -step : step;
}

/// The real time of `clock` from the kernel (not the vDSO, which this library does not reach).
static int real_time(clockid_t clock, struct timespec *time) { return (int)syscall(SYS_clock_gettime, clock, time); }

/// `time` moved by the step.
static void add_step(struct timespec *time) {
    long long nanoseconds = (long long)time->tv_sec * 1000000000 + time->tv_nsec + step_nanoseconds();
    long long seconds = nanoseconds / 1000000000, rest = nanoseconds % 1000000000;
    if (rest < 0) {
        rest += 1000000000;
        seconds -= 1;
    }
    time->tv_sec = (time_t)seconds;
    time->tv_nsec = (long)rest;
}

int clock_gettime(clockid_t clock, struct timespec *time) {
    int result = real_time(clock, time);
    if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) add_step(time);
    return result;
}

int gettimeofday(struct timeval *restrict value, void *restrict zone) {
    (void)zone;
    struct timespec now;
    int result = real_time(CLOCK_REALTIME, &now);
    if (result != 0) return result;
    add_step(&now);
    value->tv_sec = now.tv_sec;
    value->tv_usec = now.tv_nsec / 1000;
    return 0;
}

time_t time(time_t *result) {
    struct timespec now;
    if (real_time(CLOCK_REALTIME, &now) != 0) return (time_t)-1;
    add_step(&now);
    if (result != NULL) *result = now.tv_sec;
    return now.tv_sec;
}

int timespec_get(struct timespec *time, int base) {
    if (base != TIME_UTC || real_time(CLOCK_REALTIME, time) != 0) return 0;
    add_step(time);
    return base;
}
