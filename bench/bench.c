/*
 * The C side of the benchmark (bench/run.sh drives it): the same operations as
 * examples/bench.rs, through the C API. Server from WF_TRACE_SERVER_URL (options from the
 * environment). Prints "time <wall s> <cpu s>" for the operations alone (getrusage), then
 * "rows <N>"; exits 1 with the library's message on any failure.
 *
 *   bench_c <adds|batch|query|walk> <count> <target> [size]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "weave_feedback.h"

static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec / 1e6;
}

static double wall_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int fail(const char *what, weave_error *err) {
    fprintf(stderr, "%s: %s\n", what, weave_error_message(err));
    weave_error_free(err);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: bench_c <adds|batch|query|walk> <count> <target> [size]\n");
        return 2;
    }
    const char *op = argv[1];
    long count = atol(argv[2]);
    const char *target = argv[3];
    long size = argc > 4 ? atol(argv[4]) : 0;
    weave_error *err = NULL;
    weave_client *client = NULL;
    if (weave_client_new(NULL, &client, &err) != WEAVE_STATUS_OK) return fail("client", err);
    size_t rows = 0;
    double wall0 = wall_seconds(), cpu0 = cpu_seconds();
    if (strcmp(op, "walk") == 0) {
        char entity[256];
        const char *slash = strchr(target, '/');
        if (!slash || (size_t)(slash - target) >= sizeof entity) return 2;
        memcpy(entity, target, (size_t)(slash - target));
        entity[slash - target] = 0;
        weave_feedback_query *q = NULL;
        if (weave_feedback_query_new(client, entity, slash + 1, NULL, -1, -1, false, &q, &err))
            return fail("query", err);
        for (long n = 0; n < count; n++) {
            weave_feedback_cursor *cur = NULL;
            if (weave_feedback_cursor_new(q, size ? (size_t)size : 1000, &cur, &err))
                return fail("cursor", err);
            for (;;) {
                weave_feedbacks *page = NULL;
                bool done = false;
                if (weave_feedback_cursor_next(cur, &page, &done, &err)) return fail("next", err);
                if (done) break;
                size_t len = weave_feedbacks_len(page);
                for (size_t i = 0; i < len; i++) /* touch every row, as a reader would */
                    if (weave_feedback_id(weave_feedbacks_get(page, i)) != NULL) rows++;
                weave_feedbacks_free(page);
            }
            weave_feedback_cursor_free(cur);
        }
        weave_feedback_query_free(q);
    } else {
        weave_ref_feedback_query *q = NULL;
        if (weave_ref_feedback_query_new(client, target, &q, &err)) return fail("ref", err);
        if (strcmp(op, "adds") == 0) {
            char note[64];
            for (long i = 0; i < count; i++) {
                snprintf(note, sizeof note, "note %ld", i);
                if (weave_ref_feedback_query_add_note(q, note, NULL, NULL, &err))
                    return fail("add", err);
                rows++;
            }
        } else if (strcmp(op, "batch") == 0) {
            long items = size ? size : 1000;
            char *json = malloc((size_t)items * 96 + 16);
            if (!json) return 1;
            for (long b = 0; b < count; b++) {
                size_t at = 0;
                json[at++] = '[';
                for (long i = 0; i < items; i++)
                    at += (size_t)sprintf(json + at,
                                          "%s{\"feedback_type\":\"wandb.note.1\",\"payload\":"
                                          "{\"note\":\"batch %ld item %ld\"}}",
                                          i ? "," : "", b, i);
                strcpy(json + at, "]");
                weave_refs *ids = NULL;
                if (weave_ref_feedback_query_add_batch(q, json, &ids, &err))
                    return fail("batch", err);
                rows += weave_refs_len(ids);
                weave_refs_free(ids);
            }
            free(json);
        } else if (strcmp(op, "query") == 0) {
            for (long n = 0; n < count; n++) {
                weave_feedbacks *fs = NULL;
                if (weave_ref_feedback_query_refresh(q, &fs, &err)) return fail("query", err);
                size_t len = weave_feedbacks_len(fs);
                for (size_t i = 0; i < len; i++)
                    if (weave_feedback_id(weave_feedbacks_get(fs, i)) != NULL) rows++;
                weave_feedbacks_free(fs);
            }
        } else {
            fprintf(stderr, "unknown operation %s\n", op);
            return 2;
        }
        weave_ref_feedback_query_free(q);
    }
    printf("time %.9f %.9f\n", wall_seconds() - wall0, cpu_seconds() - cpu0);
    weave_client_free(client);
    printf("rows %zu\n", rows);
    return 0;
}
