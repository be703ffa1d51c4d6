#include "CFuzzDriver.h"

// libFuzzer's own entry for programs with a main of their own (compiler-rt, FuzzerDriver.cpp). Only the
// fuzz build (Tests/fuzz-targets.sh: -sanitize=fuzzer and -Xcc -DSKAV_LIBFUZZER) links libFuzzer.
#ifdef SKAV_LIBFUZZER
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int skav_fuzz_has_libfuzzer(void) { return 1; }

int skav_fuzz_run_driver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size)) {
    return LLVMFuzzerRunDriver(argc, argv, callback);
}
#else
int skav_fuzz_has_libfuzzer(void) { return 0; }

int skav_fuzz_run_driver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size)) {
    (void)argc;
    (void)argv;
    (void)callback;
    return -1;
}
#endif
