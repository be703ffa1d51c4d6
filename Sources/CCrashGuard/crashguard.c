#define _GNU_SOURCE
#include "skav_crashguard.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_int guard_fd = -1;
/// The length of the current record: the crash mark goes right after it.
static atomic_long guard_length = 0;
/// The thread that began the current record; 0 when nothing is in flight.
static atomic_long guard_thread = 0;

/// What the file holds at its start, as last written, so a record written again (one sync answer watched
/// at each of its steps) costs no system call. Guarded by `record_lock` (never taken in the handler); the
/// handler only marks it stale (`record_valid`), as a crash mark written after it changes the file.
static pthread_mutex_t record_lock = PTHREAD_MUTEX_INITIALIZER;
static char record[512];
static size_t record_length = 0;
static atomic_int record_valid = 0;

static const int guarded_signals[] = {SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT};
#define GUARDED_COUNT (sizeof(guarded_signals) / sizeof(guarded_signals[0]))
static struct sigaction previous[GUARDED_COUNT];
static int installed = 0;

/// The calling thread's kernel id, asked of the kernel once per thread and kept in thread-local storage
/// (`gettid` is a system call, and `begin` runs for every incoming event). Reading a thread-local is
/// async-signal-safe: the initial-exec model keeps it in the static TLS block, never allocated lazily.
static _Thread_local long cached_thread __attribute__((tls_model("initial-exec"))) = 0;

static long current_thread(void) {
    long thread = cached_thread;
    if (thread == 0) {
        thread = (long)syscall(SYS_gettid);
        cached_thread = thread;
    }
    return thread;
}

static void mark_crash(void) {
    int fd = atomic_load(&guard_fd);
    long owner = atomic_load(&guard_thread);
    if (fd < 0 || owner == 0 || owner != current_thread()) return;
    static const char mark[] = "crash\n";
    atomic_store(&record_valid, 0);
    ssize_t ignored = pwrite(fd, mark, sizeof(mark) - 1, (off_t)atomic_load(&guard_length));
    (void)ignored;
    atomic_store(&guard_thread, 0);
}

static void handler(int signal_number, siginfo_t *info, void *context) {
    (void)context;
    mark_crash();
    // Put the previous handler back and let the signal happen again: a fault re-executes the faulting
    // instruction, a raised signal is raised anew.
    for (size_t i = 0; i < GUARDED_COUNT; i++) {
        if (guarded_signals[i] == signal_number) {
            sigaction(signal_number, &previous[i], NULL);
            break;
        }
    }
    if (info == NULL || info->si_code <= 0) raise(signal_number);
}

int skav_crashguard_install(const char *path) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    atomic_store(&record_valid, 0);
    int old = atomic_exchange(&guard_fd, fd);
    if (old >= 0) close(old);
    if (!installed) {
        struct sigaction action;
        memset(&action, 0, sizeof(action));
        action.sa_sigaction = handler;
        action.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&action.sa_mask);
        for (size_t i = 0; i < GUARDED_COUNT; i++) {
            if (sigaction(guarded_signals[i], &action, &previous[i]) != 0) return -1;
        }
        installed = 1;
    }
    return 0;
}

int skav_crashguard_begin(const char *bytes, size_t length) {
    int fd = atomic_load(&guard_fd);
    if (fd < 0) return -1;
    pthread_mutex_lock(&record_lock);
    // The same record as the file holds already (and no crash mark since): nothing to write.
    int same = atomic_load(&record_valid) && record_length == length && memcmp(record, bytes, length) == 0;
    if (!same) {
        atomic_store(&record_valid, 0);
        // One system call: the record overwrites the start of the file. A longer earlier record may leave a
        // tail behind it; readers look only at the line after the record.
        size_t done = 0;
        while (done < length) {
            ssize_t wrote = pwrite(fd, bytes + done, length - done, (off_t)done);
            if (wrote < 0) {
                if (errno == EINTR) continue;
                pthread_mutex_unlock(&record_lock);
                return -1;
            }
            done += (size_t)wrote;
        }
        if (length <= sizeof(record)) {
            memcpy(record, bytes, length);
            record_length = length;
            atomic_store(&record_valid, 1);
        }
    }
    atomic_store(&guard_length, (long)length);
    atomic_store(&guard_thread, current_thread());
    pthread_mutex_unlock(&record_lock);
    return 0;
}

void skav_crashguard_end(void) { atomic_store(&guard_thread, 0); }

int skav_crashguard_clear(void) {
    atomic_store(&record_valid, 0);
    atomic_store(&guard_thread, 0);
    atomic_store(&guard_length, 0);
    int fd = atomic_load(&guard_fd);
    return fd < 0 ? -1 : ftruncate(fd, 0);
}

void skav_crashguard_simulate_crash(void) { mark_crash(); }
