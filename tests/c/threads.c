/*
 * One weave_client shared by many threads at once: each thread makes its own queries from it,
 * adds feedback and reads it back. Then one immutable weave_feedbacks is read by every thread
 * at once. Needs the test server (WEAVE_TEST_BASE_URL, WEAVE_TEST_API_KEY).
 */
#include "test_util.h"

#include <pthread.h>
#include <stdatomic.h>

#define THREADS 8
#define ADDS 4

static const weave_client *shared_client;
static const weave_feedbacks *shared_rows;
static char refs[THREADS][256];
static char project[64];
static const char *entity = "c-threads";
static atomic_int failures;
static atomic_int checks;

#define TCHECK(cond)                                                                 \
    do {                                                                             \
        atomic_fetch_add(&checks, 1);                                                \
        if (!(cond)) {                                                               \
            atomic_fetch_add(&failures, 1);                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

static void report(const char *what, weave_status st, weave_error *err) {
    if (st != WEAVE_STATUS_OK) {
        fprintf(stderr, "%s: %s: %s\n", what, weave_status_str(st), weave_error_message(err));
    }
    weave_error_free(err);
}

static void *writer(void *arg) {
    int k = (int)(intptr_t)arg;
    weave_error *err = NULL;
    weave_ref_feedback_query *q = NULL;
    weave_status st = weave_ref_feedback_query_new(shared_client, refs[k], &q, &err);
    report("ref_feedback_query_new", st, err);
    TCHECK(st == WEAVE_STATUS_OK);
    if (st != WEAVE_STATUS_OK) return NULL;
    for (int i = 0; i < ADDS; i++) {
        char note[64];
        snprintf(note, sizeof note, "thread %d note %d", k, i);
        char *id = NULL;
        err = NULL;
        st = (i % 2) ? weave_ref_feedback_query_add_reaction(q, "👍", note, &id, &err)
                     : weave_ref_feedback_query_add_note(q, note, NULL, &id, &err);
        report("add", st, err);
        TCHECK(st == WEAVE_STATUS_OK && id != NULL);
        weave_string_free(id);
        weave_feedbacks *fs = NULL;
        err = NULL;
        st = weave_ref_feedback_query_execute(q, &fs, &err);
        report("execute", st, err);
        TCHECK(st == WEAVE_STATUS_OK && weave_feedbacks_len(fs) == (size_t)(i + 1));
        for (size_t j = 0; j < weave_feedbacks_len(fs); j++) {
            TCHECK(strcmp(weave_feedback_weave_ref(weave_feedbacks_get(fs, j)), refs[k]) == 0);
        }
        weave_feedbacks_free(fs);
    }
    /* A project-wide query from this thread too. */
    weave_feedback_query *pq = NULL;
    err = NULL;
    st = weave_feedback_query_new(shared_client, entity, project, NULL, -1, -1, false, &pq, &err);
    report("feedback_query_new", st, err);
    weave_feedbacks *all = NULL;
    err = NULL;
    st = weave_feedback_query_execute(pq, &all, &err);
    report("feedback_query_execute", st, err);
    TCHECK(st == WEAVE_STATUS_OK && weave_feedbacks_len(all) >= ADDS);
    weave_feedbacks_free(all);
    weave_feedback_query_free(pq);
    weave_ref_feedback_query_free(q);
    return NULL;
}

/* Every thread adds through ONE query handle: calls on it are serialised by the library. */
static weave_ref_feedback_query *shared_query;

static void *shared_writer(void *arg) {
    int k = (int)(intptr_t)arg;
    for (int i = 0; i < ADDS; i++) {
        char note[64];
        snprintf(note, sizeof note, "shared handle, thread %d note %d", k, i);
        char *id = NULL;
        weave_error *err = NULL;
        weave_status st = weave_ref_feedback_query_add_note(shared_query, note, NULL, &id, &err);
        report("shared add_note", st, err);
        TCHECK(st == WEAVE_STATUS_OK && id != NULL);
        weave_string_free(id);
        weave_feedbacks *fs = NULL;
        err = NULL;
        st = weave_ref_feedback_query_execute(shared_query, &fs, &err);
        report("shared execute", st, err);
        TCHECK(st == WEAVE_STATUS_OK && weave_feedbacks_len(fs) >= (size_t)(i + 1));
        weave_feedbacks_free(fs);
    }
    return NULL;
}

static void *reader(void *arg) {
    (void)arg;
    for (int round = 0; round < 20; round++) {
        size_t n = weave_feedbacks_len(shared_rows);
        TCHECK(n == THREADS * ADDS);
        for (size_t i = 0; i < n; i++) {
            const weave_feedback *f = weave_feedbacks_get(shared_rows, i);
            TCHECK(weave_feedback_id(f) != NULL && weave_feedback_created_at(f) != NULL);
            TCHECK(weave_feedback_payload_json(f)[0] == '{');
        }
        char *table = NULL;
        weave_error *err = NULL;
        weave_status st = weave_feedbacks_format_table(shared_rows, &table, &err);
        report("format_table", st, err);
        TCHECK(st == WEAVE_STATUS_OK && table != NULL);
        weave_string_free(table);
    }
    return NULL;
}

int main(void) {
    const char *base = wt_env("WEAVE_TEST_BASE_URL");
    const char *key = wt_env("WEAVE_TEST_API_KEY");
    REQUIRE(base != NULL);
    char t[33];
    wt_token(t);
    snprintf(project, sizeof project, "threads-%.12s", t);
    for (int k = 0; k < THREADS; k++) wt_call_ref(refs[k], sizeof refs[k], entity, project);

    weave_error *err = NULL;
    weave_client_options *o = weave_client_options_new();
    REQUIRE(weave_client_options_set_base_url(o, base, &err) == WEAVE_STATUS_OK);
    REQUIRE(weave_client_options_set_api_key(o, key ? key : "", &err) == WEAVE_STATUS_OK);
    weave_client *c = NULL;
    REQUIRE(weave_client_new(o, &c, &err) == WEAVE_STATUS_OK);
    weave_client_options_free(o);
    shared_client = c;

    pthread_t th[THREADS];
    for (int k = 0; k < THREADS; k++) {
        REQUIRE(pthread_create(&th[k], NULL, writer, (void *)(intptr_t)k) == 0);
    }
    for (int k = 0; k < THREADS; k++) pthread_join(th[k], NULL);

    char shared_ref[256];
    wt_call_ref(shared_ref, sizeof shared_ref, entity, "shared-handle");
    REQUIRE(weave_ref_feedback_query_new(c, shared_ref, &shared_query, &err) == WEAVE_STATUS_OK);
    for (int k = 0; k < THREADS; k++) {
        REQUIRE(pthread_create(&th[k], NULL, shared_writer, (void *)(intptr_t)k) == 0);
    }
    for (int k = 0; k < THREADS; k++) pthread_join(th[k], NULL);
    weave_feedbacks *shared_rows_final = NULL;
    REQUIRE(weave_ref_feedback_query_refresh(shared_query, &shared_rows_final, &err) == WEAVE_STATUS_OK);
    CHECK(weave_feedbacks_len(shared_rows_final) == THREADS * ADDS);
    weave_feedbacks_free(shared_rows_final);
    weave_ref_feedback_query_free(shared_query);

    weave_feedback_query *pq = NULL;
    REQUIRE(weave_feedback_query_new(c, entity, project, NULL, -1, -1, false, &pq, &err) ==
            WEAVE_STATUS_OK);
    weave_feedbacks *rows = NULL;
    REQUIRE(weave_feedback_query_execute(pq, &rows, &err) == WEAVE_STATUS_OK);
    weave_feedback_query_free(pq);
    weave_client_free(c);
    CHECK(weave_feedbacks_len(rows) == THREADS * ADDS);
    shared_rows = rows;
    for (int k = 0; k < THREADS; k++) REQUIRE(pthread_create(&th[k], NULL, reader, NULL) == 0);
    for (int k = 0; k < THREADS; k++) pthread_join(th[k], NULL);
    weave_feedbacks_free(rows);

    wt_passed += atomic_load(&checks) - atomic_load(&failures);
    wt_failed += atomic_load(&failures);
    return wt_finish("c_threads");
}
