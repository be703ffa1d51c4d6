// The happy-path cost of the poison-message quarantine's breadcrumb: begin + end per handled event.
// Built and run by `bash Tests/bench.sh --crash-guard`; prints microseconds per event.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "skav_crashguard.h"

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "crashguard-bench-inflight";
    int events = argc > 2 ? atoi(argv[2]) : 1000000;
    if (events <= 0) events = 1000000;
    if (skav_crashguard_install(path) != 0) {
        perror("skav_crashguard_install");
        return 1;
    }
    const char *line = "event $YkCAr5oWf9WnKxLoe1fxkwZy1y8FSV9mS5zh-0feod4\n";
    size_t length = strlen(line);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < events; i++) {
        skav_crashguard_begin(line, length);
        skav_crashguard_end();
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double micros = ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / 1e3 / events;
    printf("crash guard: %.3f us per event (begin + end, %d events, file %s)\n", micros, events, path);
    remove(path);
    return 0;
}
