#include "writer_queue.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

/// One connection maps one queue file: more mappings than this at once go unguarded (and their
/// connections unqueued).
enum { slotCount = 1024 };

/// The guarded mappings; a slot is free while its base is 0. Written by the threads that map
/// and unmap, read by the signal handler: atomics only.
static uintptr_t slotBase[slotCount];
static size_t slotSize[slotCount];
static int slotLost[slotCount];

static struct sigaction previousAction;
static pthread_once_t installOnce = PTHREAD_ONCE_INIT;
static int installed;

/// SIGBUS: an access past the end of the file under a guarded mapping gets zeroed pages in its
/// place, and the access is made again there; anything else goes where it went before.
static void onBusError(int signal, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int slot = 0; slot < slotCount; slot++) {
        uintptr_t base = __atomic_load_n(&slotBase[slot], __ATOMIC_SEQ_CST);
        size_t size = __atomic_load_n(&slotSize[slot], __ATOMIC_SEQ_CST);
        if (base <= 1 || address < base || address >= base + size) continue;
        int saved = errno;
        void *zeroed = mmap((void *)base, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        errno = saved;
        if (zeroed == MAP_FAILED) break;
        __atomic_store_n(&slotLost[slot], 1, __ATOMIC_SEQ_CST);
        return;
    }
    if ((previousAction.sa_flags & SA_SIGINFO) != 0 && previousAction.sa_sigaction != NULL) {
        previousAction.sa_sigaction(signal, info, context);
    } else if (previousAction.sa_handler != SIG_DFL && previousAction.sa_handler != SIG_IGN) {
        previousAction.sa_handler(signal);
    } else {
        // The default action: the access faults again, and the process ends as it would have.
        struct sigaction fallback;
        memset(&fallback, 0, sizeof fallback);
        fallback.sa_handler = SIG_DFL;
        sigaction(SIGBUS, &fallback, NULL);
    }
}

static void install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = onBusError;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    installed = sigaction(SIGBUS, &action, &previousAction) == 0;
}

int writer_queue_guard(void *base, size_t size) {
    pthread_once(&installOnce, install);
    if (!installed || base == NULL) return -1;
    for (int slot = 0; slot < slotCount; slot++) {
        uintptr_t free = 0;
        if (__atomic_load_n(&slotBase[slot], __ATOMIC_SEQ_CST) != 0) continue;
        // Claimed with a base of 1, which the handler skips, until its size is set.
        if (!__atomic_compare_exchange_n(&slotBase[slot], &free, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) continue;
        __atomic_store_n(&slotLost[slot], 0, __ATOMIC_SEQ_CST);
        __atomic_store_n(&slotSize[slot], size, __ATOMIC_SEQ_CST);
        __atomic_store_n(&slotBase[slot], (uintptr_t)base, __ATOMIC_SEQ_CST);
        return slot;
    }
    return -1;
}

void writer_queue_unguard(int slot) {
    if (slot < 0 || slot >= slotCount) return;
    __atomic_store_n(&slotBase[slot], 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&slotSize[slot], 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&slotBase[slot], 0, __ATOMIC_SEQ_CST);
}

int writer_queue_lost(int slot) {
    if (slot < 0 || slot >= slotCount) return 0;
    return __atomic_load_n(&slotLost[slot], __ATOMIC_SEQ_CST);
}
