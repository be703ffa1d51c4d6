#ifndef SKAV_CFUZZDRIVER_H
#define SKAV_CFUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

/// 1 when built with -DSKAV_LIBFUZZER (the fuzz build links libFuzzer), else 0.
int skav_fuzz_has_libfuzzer(void);

/// Runs libFuzzer's driver (LLVMFuzzerRunDriver) with the given arguments and test function; returns -1
/// in a build without libFuzzer.
int skav_fuzz_run_driver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
