/*
 * Deliberately broken, built with the same sanitizer flags as the tests: run.sh checks that
 * ASan reports the use-after-free and UBSan the signed overflow, so a silently missing
 * sanitizer cannot make the sanitized runs look clean. Links the library like the tests.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weave_feedback.h"

int main(int argc, char **argv) {
    printf("library %s\n", weave_feedback_version());
    if (argc > 1 && strcmp(argv[1], "asan") == 0) {
        char *volatile p = malloc(16);
        free(p);
        return p[3]; /* heap-use-after-free */
    }
    if (argc > 1 && strcmp(argv[1], "ubsan") == 0) {
        volatile int big = INT_MAX;
        int r = big + (argc - 1); /* signed integer overflow */
        return r == 0;
    }
    return 0;
}
