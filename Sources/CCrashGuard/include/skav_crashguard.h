#ifndef SKAV_CRASHGUARD_H
#define SKAV_CRASHGUARD_H

#include <stddef.h>

/// A breadcrumb for the poison-message quarantine. A trap in Swift cannot be caught, so the process
/// records, before it handles a piece of input, which input it is (in a small file next to the database,
/// written without fsync: a process crash keeps the kernel's buffers), and a handler for the fatal
/// signals (SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT) appends a crash mark when the thread that
/// began the record is the one that dies. A SIGKILL leaves no mark: a supervisor's kill is not the
/// input's fault. The next start reads the file to learn what took the process down.
///
/// Only async-signal-safe calls are made in the handler; the previous handlers (such as the Swift
/// runtime's backtracer) still run after it.

/// Opens (creating, mode 0600) the breadcrumb file and installs the signal handlers. Returns 0, or -1
/// with errno set. Calling it again replaces the file.
int skav_crashguard_install(const char *path);

/// Writes `bytes` (one line, ending in a newline) at the start of the file and remembers the calling
/// thread; a crash mark (`crash\n`) is written right after it. One system call. Returns 0, or -1.
int skav_crashguard_begin(const char *bytes, size_t length);

/// The input was handled: a crash from now on is not its fault. The file keeps its content (no system
/// call here); without a crash mark it means nothing.
void skav_crashguard_end(void);

/// Empties the file (after its crash has been recorded elsewhere). Returns 0, or -1.
int skav_crashguard_clear(void);

/// Runs the handler's bookkeeping as if the calling thread had crashed, without dying (for tests).
void skav_crashguard_simulate_crash(void);

#endif
