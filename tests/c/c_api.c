/*
 * The C API end to end: every function, every status the library can be made to return,
 * NULL for every pointer argument, invalid UTF-8, malformed and non-object JSON, the
 * ownership rules, and "out-parameters are written only on success".
 *
 * Needs the test server: WEAVE_TEST_BASE_URL (and WEAVE_TEST_API_KEY when the server was
 * started with --api-key). Run by tests/c/run.sh, plain, under valgrind and with ASan+UBSan.
 */
#include "test_util.h"

static const char *BASE;    /* test server URL */
static const char *API_KEY; /* its key, or NULL */
static const char *BAD_UTF8 = "\xff\xfe bad";
/* Never dereferenced: marks out-parameters that must stay untouched. */
#define SENTINEL(type) ((type)(uintptr_t)0x5EA1)

static weave_client *make_client(const char *url, const char *key, uint32_t retries,
                                 uint64_t timeout_ms, uint64_t deadline_ms) {
    weave_error *err = NULL;
    weave_client_options *o = weave_client_options_new();
    REQUIRE(o != NULL);
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_base_url(o, url, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_api_key(o, key ? key : "", &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_max_retries(o, retries, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_retry_base_delay_ms(o, 1, &err));
    if (timeout_ms) EXPECT(WEAVE_STATUS_OK, weave_client_options_set_timeout_ms(o, timeout_ms, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_deadline_ms(o, deadline_ms, &err));
    weave_client *c = NULL;
    weave_status st = weave_client_new(o, &c, &err);
    if (st != WEAVE_STATUS_OK) fprintf(stderr, "weave_client_new: %s\n", weave_error_message(err));
    REQUIRE(st == WEAVE_STATUS_OK && c != NULL && err == NULL);
    weave_client_options_free(o); /* the client copied what it needs */
    return c;
}

static weave_ref_feedback_query *ref_query(const weave_client *c, const char *ref) {
    weave_error *err = NULL;
    weave_ref_feedback_query *q = NULL;
    weave_status st = weave_ref_feedback_query_new(c, ref, &q, &err);
    REQUIRE(st == WEAVE_STATUS_OK && q != NULL);
    return q;
}

static int contains(const char *haystack, const char *needle) {
    return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* ------------------------------------------------------------------ no server needed */

static void test_statics(void) {
    CHECK(strcmp(weave_feedback_version(), WEAVE_FEEDBACK_VERSION) == 0);
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", WEAVE_FEEDBACK_VERSION_MAJOR, WEAVE_FEEDBACK_VERSION_MINOR,
             WEAVE_FEEDBACK_VERSION_PATCH);
    CHECK(strcmp(v, WEAVE_FEEDBACK_VERSION) == 0);

    /* Fixed values, hard-coded by hosts. */
    CHECK(WEAVE_STATUS_OK == 0);
    CHECK(WEAVE_STATUS_INVALID_ARGUMENT == 1);
    CHECK(WEAVE_STATUS_INVALID_REF == 2);
    CHECK(WEAVE_STATUS_INVALID_FEEDBACK == 3);
    CHECK(WEAVE_STATUS_UNAUTHORIZED == 4);
    CHECK(WEAVE_STATUS_NOT_FOUND == 5);
    CHECK(WEAVE_STATUS_REJECTED == 6);
    CHECK(WEAVE_STATUS_RATE_LIMITED == 7);
    CHECK(WEAVE_STATUS_SERVER == 8);
    CHECK(WEAVE_STATUS_TRANSPORT == 9);
    CHECK(WEAVE_STATUS_TIMEOUT == 10);
    CHECK(WEAVE_STATUS_DECODE == 11);
    CHECK(WEAVE_STATUS_INTERNAL == 12);
    CHECK(WEAVE_STATUS_OUTBOX_FULL == 13);

    const char *unknown = weave_status_str((weave_status)99);
    CHECK(unknown != NULL && strlen(unknown) > 0);
    CHECK(strcmp(weave_status_str((weave_status)-1), unknown) == 0);
    CHECK(strcmp(weave_status_str((weave_status)14), unknown) == 0);
    for (int s = 0; s <= 13; s++) {
        const char *t = weave_status_str((weave_status)s);
        CHECK(t != NULL && strcmp(t, unknown) != 0);
        CHECK(weave_status_str((weave_status)s) == t); /* static */
    }
    CHECK(strcmp(weave_status_str(WEAVE_STATUS_OK), "ok") == 0);

    /* NULL handles: never a crash. */
    CHECK(weave_error_status(NULL) == WEAVE_STATUS_OK);
    CHECK(weave_error_message(NULL) == NULL);
    CHECK(weave_error_http_status(NULL) == 0);
    CHECK(weave_error_attempts(NULL) == 0);
    CHECK(weave_error_feedback_id(NULL) == NULL);
    CHECK(weave_error_feedback_id_count(NULL) == 0);
    CHECK(weave_error_feedback_id_at(NULL, 0) == NULL);
    CHECK(weave_feedbacks_len(NULL) == 0);
    CHECK(weave_feedbacks_get(NULL, 0) == NULL);
    CHECK(weave_refs_len(NULL) == 0);
    CHECK(weave_refs_get(NULL, 0) == NULL);
    CHECK(weave_feedback_id(NULL) == NULL);
    CHECK(weave_feedback_project_id(NULL) == NULL);
    CHECK(weave_feedback_weave_ref(NULL) == NULL);
    CHECK(weave_feedback_feedback_type(NULL) == NULL);
    CHECK(weave_feedback_payload_json(NULL) == NULL);
    CHECK(weave_feedback_creator(NULL) == NULL);
    CHECK(weave_feedback_wb_user_id(NULL) == NULL);
    CHECK(weave_feedback_created_at(NULL) == NULL);
    CHECK(weave_feedback_annotation_ref(NULL) == NULL);
    CHECK(weave_feedback_runnable_ref(NULL) == NULL);
    CHECK(weave_feedback_call_ref(NULL) == NULL);
    CHECK(weave_feedback_trigger_ref(NULL) == NULL);
    CHECK(weave_feedback_queue_id(NULL) == NULL);
    weave_error_free(NULL);
    weave_string_free(NULL);
    weave_client_options_free(NULL);
    weave_client_free(NULL);
    weave_feedback_query_free(NULL);
    weave_ref_feedback_query_free(NULL);
    weave_feedbacks_free(NULL);
    weave_refs_free(NULL);

    weave_error *err = NULL;
    char *s = SENTINEL(char *);
    weave_refs *r = SENTINEL(weave_refs *);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedbacks_refs(NULL, &r, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedbacks_to_json(NULL, &s, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedbacks_format_table(NULL, &s, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_to_json(NULL, &s, &err));
    CHECK(s == SENTINEL(char *) && r == SENTINEL(weave_refs *));
    /* NULL out_error is allowed: the status still tells. */
    CHECK(weave_feedbacks_to_json(NULL, &s, NULL) == WEAVE_STATUS_INVALID_ARGUMENT);
}

static void test_options(void) {
    weave_error *err = NULL;
    weave_client_options *o = weave_client_options_new();
    REQUIRE(o != NULL);

    /* NULL options, NULL and invalid strings. */
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_options_set_base_url(NULL, BASE, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_options_set_base_url(o, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_options_set_base_url(o, BAD_UTF8, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_options_set_api_key(NULL, "k", &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_options_set_api_key(o, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_options_set_api_key(o, BAD_UTF8, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_options_set_timeout_ms(NULL, 1, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_options_set_max_retries(NULL, 1, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_options_set_deadline_ms(NULL, 1, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_client_options_set_retry_base_delay_ms(NULL, 1, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_client_options_set_allow_insecure_http(NULL, true, &err));

    /* The error object of a NULL argument. */
    CHECK(weave_client_options_set_base_url(o, NULL, &err) == WEAVE_STATUS_INVALID_ARGUMENT);
    CHECK(err != NULL);
    CHECK(weave_error_status(err) == WEAVE_STATUS_INVALID_ARGUMENT);
    CHECK(contains(weave_error_message(err), "url"));
    CHECK(weave_error_http_status(err) == 0);
    CHECK(weave_error_attempts(err) == 0);
    CHECK(weave_error_feedback_id(err) == NULL); /* nothing was sent */
    CHECK(weave_error_feedback_id_count(err) == 0);
    weave_error_free(err);
    err = NULL;

    /* On success *out_error is set to NULL. */
    err = SENTINEL(weave_error *);
    CHECK(weave_client_options_set_max_retries(o, 0, &err) == WEAVE_STATUS_OK);
    CHECK(err == NULL);

    /* Settings are checked by weave_client_new; *out untouched on failure. */
    weave_client *c = SENTINEL(weave_client *);
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_base_url(o, "ftp://example.com", &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_new(o, &c, &err));
    CHECK(c == SENTINEL(weave_client *));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_base_url(o, BASE, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_timeout_ms(o, 0, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_new(o, &c, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_timeout_ms(o, 5000, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_new(o, NULL, &err));

    /* No API key over plain http to a remote host, unless allowed. */
    const char *secret = "very-secret-key-123";
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_base_url(o, "http://trace.example.com/", &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_api_key(o, secret, &err));
    CHECK(weave_client_new(o, &c, &err) == WEAVE_STATUS_INVALID_ARGUMENT);
    CHECK(err != NULL && !contains(weave_error_message(err), secret));
    weave_error_free(err);
    err = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_allow_insecure_http(o, true, &err));
    c = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_client_new(o, &c, &err));
    CHECK(c != NULL);
    weave_client_free(c);

    /* NULL options: defaults from the environment. */
    c = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_client_new(NULL, &c, &err));
    CHECK(c != NULL);
    weave_client_free(c);

    /* Options may be freed while clients built from them live on (tested in make_client). */
    weave_client_options_free(o);
}

/* Every argument check of the query functions; none of them may send a request. */
static void test_argument_checks(const weave_client *c, const char *ref) {
    weave_error *err = NULL;
    CHECK(wt_reset(BASE) == 200);

    /* weave_ref_feedback_query_new */
    weave_ref_feedback_query *rq = SENTINEL(weave_ref_feedback_query *);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_new(NULL, ref, &rq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_new(c, NULL, &rq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_new(c, ref, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_new(c, BAD_UTF8, &rq, &err));
    EXPECT(WEAVE_STATUS_INVALID_REF, weave_ref_feedback_query_new(c, "not a ref", &rq, &err));
    EXPECT(WEAVE_STATUS_INVALID_REF,
           weave_ref_feedback_query_new(c, "weave:///e/p/thing/x", &rq, &err));
    EXPECT(WEAVE_STATUS_INVALID_REF, weave_ref_feedback_query_new(c, "", &rq, &err));
    CHECK(rq == SENTINEL(weave_ref_feedback_query *));

    /* weave_feedback_query_new */
    weave_feedback_query *fq = SENTINEL(weave_feedback_query *);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(NULL, "e", "p", NULL, -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, NULL, "p", NULL, -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, "e", NULL, NULL, -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, "e", "p", NULL, -1, -1, false, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, "", "p", NULL, -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, "e", "", NULL, -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, "a/b", "p", NULL, -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, "e", "p/q", NULL, -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, BAD_UTF8, "p", NULL, -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, "e", BAD_UTF8, NULL, -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, "e", "p", BAD_UTF8, -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, "e", "p", "{", -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, "e", "p", "", -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, "e", "p", "[1]", -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, "e", "p", "{\"$expr\": 1}", -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_new(c, "e", "p", "{\"$expr\": {\"$nope\": []}}", -1, -1, false,
                                    &fq, &err));
    CHECK(fq == SENTINEL(weave_feedback_query *));

    weave_ref_feedback_query *q = ref_query(c, ref);
    char *id = SENTINEL(char *);
    weave_refs *ids = SENTINEL(weave_refs *);
    weave_feedbacks *fs = SENTINEL(weave_feedbacks *);
    weave_refs *refs = SENTINEL(weave_refs *);

    /* add */
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add(NULL, "t", NULL, NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add(q, NULL, NULL, NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add(q, BAD_UTF8, NULL, NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add(q, "t", BAD_UTF8, NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add(q, "t", NULL, BAD_UTF8, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add(q, "t", NULL, NULL, BAD_UTF8, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add(q, "t", "{\"a\":", NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add(q, "t", "", NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add(q, "t", "[1, 2]", NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add(q, "t", "42", NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add(q, "t", "null", NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK,
           weave_ref_feedback_query_add(q, "wandb.custom", "{}", NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK,
           weave_ref_feedback_query_add(q, "wandb.custom", "{}", NULL, "", &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_REF,
           weave_ref_feedback_query_add(q, "wandb.annotation.rating", "{\"value\": 1}", NULL,
                                        "not-a-ref", &id, &err));

    /* add_note / add_reaction */
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add_note(NULL, "n", NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add_note(q, NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add_note(q, BAD_UTF8, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add_note(q, "n", BAD_UTF8, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK,
           weave_ref_feedback_query_add_note(q, "", NULL, &id, &err));
    char long_note[1100];
    memset(long_note, 'x', 1025);
    long_note[1025] = '\0';
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK,
           weave_ref_feedback_query_add_note(q, long_note, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add_reaction(NULL, "👍", NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add_reaction(q, NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add_reaction(q, BAD_UTF8, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add_reaction(q, "👍", BAD_UTF8, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK,
           weave_ref_feedback_query_add_reaction(q, "ok", NULL, &id, &err));

    /* add_batch */
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_add_batch(NULL, "[]", &ids, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_add_batch(q, NULL, &ids, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_add_batch(q, BAD_UTF8, &ids, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_add_batch(q, "[", &ids, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_add_batch(q, "{}", &ids, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_add_batch(q, "[1]", &ids, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add_batch(q, "[{\"payload\": {}}]", &ids, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add_batch(q, "[{\"feedback_type\": \"t\", \"creatr\": \"x\"}]",
                                              &ids, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add_batch(q, "[{\"feedback_type\": \"t\", \"payload\": [1]}]",
                                              &ids, &err));
    CHECK(weave_ref_feedback_query_add_batch(
              q,
              "[{\"feedback_type\": \"wandb.note.1\", \"payload\": {\"note\": \"fine\"}},"
              " {\"feedback_type\": \"wandb.note.1\", \"payload\": {\"note\": \"\"}}]",
              &ids, &err) == WEAVE_STATUS_INVALID_FEEDBACK);
    CHECK(contains(weave_error_message(err), "item 1"));
    weave_error_free(err);
    err = NULL;

    /* replace */
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_replace(NULL, "i", "t", NULL, NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_replace(q, NULL, "t", NULL, NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_replace(q, "i", NULL, NULL, NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_replace(q, "", "t", NULL, NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_replace(q, BAD_UTF8, "t", NULL, NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_replace(q, "i", "t", "[]", NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_replace(q, "i", "t", "{", NULL, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_replace(q, "i", "t", NULL, BAD_UTF8, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_replace(q, "i", "t", NULL, NULL, BAD_UTF8, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK,
           weave_ref_feedback_query_replace(q, "i", "wandb.note.1", "{\"note\": \"\"}", NULL, NULL,
                                            &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK,
           weave_ref_feedback_query_replace(q, "i", "wandb.other", NULL, NULL, NULL, &id, &err));

    /* purge */
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_purge(NULL, "i", &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_purge(q, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_purge(q, "", &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_purge(q, BAD_UTF8, &err));

    /* execute / refresh / refs */
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_execute(NULL, &fs, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_execute(q, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_refresh(NULL, &fs, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_refresh(q, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_refs(NULL, &refs, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_refs(q, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_execute(NULL, &fs, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_refresh(NULL, &fs, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_refs(NULL, &refs, &err));

    CHECK(id == SENTINEL(char *));
    CHECK(ids == SENTINEL(weave_refs *));
    CHECK(fs == SENTINEL(weave_feedbacks *));
    CHECK(refs == SENTINEL(weave_refs *));

    /* Nothing of the above reached the server. */
    CHECK(wt_requests(BASE, "/feedback/create") == 0);
    CHECK(wt_requests(BASE, "/feedback/batch/create") == 0);
    CHECK(wt_requests(BASE, "/feedback/replace") == 0);
    CHECK(wt_requests(BASE, "/feedback/purge") == 0);
    CHECK(wt_requests(BASE, "/feedback/query") == 0);
    weave_ref_feedback_query_free(q);
}

/* ------------------------------------------------------------------ against the server */

static const weave_feedback *find_type(const weave_feedbacks *fs, const char *type) {
    for (size_t i = 0; i < weave_feedbacks_len(fs); i++) {
        const weave_feedback *f = weave_feedbacks_get(fs, i);
        if (strcmp(weave_feedback_feedback_type(f), type) == 0) return f;
    }
    return NULL;
}

static void test_round_trip(const char *entity, const char *project) {
    weave_error *err = NULL;
    char ref[256];
    wt_call_ref(ref, sizeof ref, entity, project);
    char project_id[128];
    snprintf(project_id, sizeof project_id, "%s/%s", entity, project);
    weave_client *c = make_client(BASE, API_KEY, 2, 0, 0);
    weave_ref_feedback_query *q = ref_query(c, ref);

    /* Empty at first. */
    weave_feedbacks *fs = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(q, &fs, &err));
    CHECK(fs != NULL && weave_feedbacks_len(fs) == 0);
    weave_refs *refs = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedbacks_refs(fs, &refs, &err));
    CHECK(weave_refs_len(refs) == 0 && weave_refs_get(refs, 0) == NULL);
    weave_refs_free(refs);
    weave_feedbacks_free(fs);

    /* The quick start's three adds, plus defaults: NULL payload, "" creator/annotation_ref. */
    char *reaction_id = NULL, *note_id = NULL, *score_id = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_reaction(q, "👍", "Dana", &reaction_id, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_note(q, "Great answer", NULL, &note_id, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add(q, "helpfulness", "{\"score\": 4}", NULL,
                                                         NULL, &score_id, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add(q, "empty", NULL, "", "", NULL, &err));
    REQUIRE(reaction_id && note_id && score_id);
    CHECK(strlen(reaction_id) == 36 && strcmp(reaction_id, note_id) != 0);

    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(q, &fs, &err));
    REQUIRE(fs != NULL);
    CHECK(weave_feedbacks_len(fs) == 4);
    CHECK(weave_feedbacks_get(fs, 4) == NULL);
    CHECK(weave_feedbacks_get(fs, (size_t)-1) == NULL);

    const weave_feedback *r = find_type(fs, "wandb.reaction.1");
    const weave_feedback *n = find_type(fs, "wandb.note.1");
    const weave_feedback *h = find_type(fs, "helpfulness");
    const weave_feedback *e = find_type(fs, "empty");
    REQUIRE(r && n && h && e);
    CHECK(strcmp(weave_feedback_id(r), reaction_id) == 0);
    CHECK(strcmp(weave_feedback_id(n), note_id) == 0);
    CHECK(strcmp(weave_feedback_id(h), score_id) == 0);
    CHECK(strcmp(weave_feedback_project_id(r), project_id) == 0);
    CHECK(strcmp(weave_feedback_weave_ref(r), ref) == 0);
    CHECK(strcmp(weave_feedback_creator(r), "Dana") == 0);
    CHECK(weave_feedback_creator(n) == NULL);
    CHECK(weave_feedback_creator(e) != NULL && strcmp(weave_feedback_creator(e), "") == 0);
    CHECK(contains(weave_feedback_payload_json(r), "\"emoji\":\"👍\""));
    CHECK(strcmp(weave_feedback_payload_json(n), "{\"note\":\"Great answer\"}") == 0);
    CHECK(strcmp(weave_feedback_payload_json(h), "{\"score\":4}") == 0);
    CHECK(strcmp(weave_feedback_payload_json(e), "{}") == 0);
    CHECK(weave_feedback_wb_user_id(r) != NULL && strlen(weave_feedback_wb_user_id(r)) > 0);
    const char *at = weave_feedback_created_at(r);
    CHECK(at != NULL && strlen(at) >= 20 && at[10] == 'T' && at[strlen(at) - 1] == 'Z');
    CHECK(weave_feedback_annotation_ref(e) == NULL);
    CHECK(weave_feedback_runnable_ref(r) == NULL);
    CHECK(weave_feedback_call_ref(r) == NULL);
    CHECK(weave_feedback_trigger_ref(r) == NULL);
    CHECK(weave_feedback_queue_id(r) == NULL);
    /* Getters borrow: the same pointer every time. */
    CHECK(weave_feedback_id(r) == weave_feedback_id(r));

    char *json = SENTINEL(char *);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_to_json(r, NULL, &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedback_to_json(r, &json, &err));
    CHECK(json != SENTINEL(char *) && json[0] == '{');
    CHECK(contains(json, "\"id\":\"") && contains(json, reaction_id));
    CHECK(contains(json, "\"annotation_ref\":null") && contains(json, "\"queue_id\":null"));
    CHECK(contains(json, "\"created_at\":\"") && contains(json, at));
    weave_string_free(json);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedbacks_to_json(fs, NULL, &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedbacks_to_json(fs, &json, &err));
    CHECK(json[0] == '[' && contains(json, "helpfulness") && contains(json, "Great answer"));
    weave_string_free(json);
    char *table = NULL;
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedbacks_format_table(fs, NULL, &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedbacks_format_table(fs, &table, &err));
    CHECK(contains(table, "Type") && contains(table, "Feedback") && contains(table, "Creator"));
    CHECK(contains(table, "reaction") && contains(table, "Great answer"));
    CHECK(contains(table, "\"score\": 4") && contains(table, "Dana ("));
    CHECK(!contains(table, "Ref "));
    weave_string_free(table);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedbacks_refs(fs, NULL, &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedbacks_refs(fs, &refs, &err));
    CHECK(weave_refs_len(refs) == 1 && strcmp(weave_refs_get(refs, 0), ref) == 0);
    CHECK(weave_refs_get(refs, 1) == NULL);
    weave_refs_free(refs);

    /* execute is cached; refresh always fetches; both share rows. */
    CHECK(wt_reset(BASE) == 200);
    weave_feedbacks *again = NULL, *fresh = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(q, &again, &err));
    CHECK(wt_requests(BASE, "/feedback/query") == 0);
    CHECK(weave_feedbacks_len(again) == 4);
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_refresh(q, &fresh, &err));
    CHECK(wt_requests(BASE, "/feedback/query") == 1);
    CHECK(weave_feedbacks_len(fresh) == 4);
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_refs(q, &refs, &err));
    CHECK(wt_requests(BASE, "/feedback/query") == 1);
    CHECK(weave_refs_len(refs) == 1 && strcmp(weave_refs_get(refs, 0), ref) == 0);
    weave_refs_free(refs);

    /* purge clears the cache; the handles from before keep their rows. */
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_purge(q, reaction_id, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_purge(q, "00000000-0000-7000-8000-000000000000", &err));
    weave_feedbacks *after = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(q, &after, &err));
    CHECK(wt_requests(BASE, "/feedback/query") == 2);
    CHECK(weave_feedbacks_len(after) == 3 && find_type(after, "wandb.reaction.1") == NULL);
    CHECK(weave_feedbacks_len(again) == 4 && find_type(again, "wandb.reaction.1") != NULL);
    weave_feedbacks_free(after);

    /* replace keeps the id and changes the row. */
    char *replaced = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_replace(q, note_id, "wandb.note.1",
                                                             "{\"note\": \"Edited\"}", "Eve", "",
                                                             &replaced, &err));
    CHECK(replaced != NULL && strcmp(replaced, note_id) == 0);
    weave_string_free(replaced);
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_replace(q, score_id, "helpfulness", NULL,
                                                             NULL, NULL, NULL, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(q, &after, &err));
    n = find_type(after, "wandb.note.1");
    CHECK(n && strcmp(weave_feedback_id(n), note_id) == 0);
    CHECK(n && strcmp(weave_feedback_payload_json(n), "{\"note\":\"Edited\"}") == 0);
    CHECK(n && strcmp(weave_feedback_creator(n), "Eve") == 0);
    h = find_type(after, "helpfulness");
    CHECK(h && strcmp(weave_feedback_payload_json(h), "{}") == 0);
    weave_feedbacks_free(after);

    /* add_batch: ids in item order, caller-chosen id kept; an empty batch sends nothing. */
    weave_refs *ids = NULL;
    EXPECT(WEAVE_STATUS_OK,
           weave_ref_feedback_query_add_batch(
               q,
               "[{\"feedback_type\": \"wandb.note.1\", \"payload\": {\"note\": \"b1\"}},"
               " {\"feedback_type\": \"wandb.reaction.1\", \"payload\": {\"emoji\": \"🎉\"}, "
               "\"creator\": \"Bo\"},"
               " {\"feedback_type\": \"score\", \"payload\": {\"v\": 1}, "
               "\"id\": \"0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f\", \"annotation_ref\": null}]",
               &ids, &err));
    CHECK(weave_refs_len(ids) == 3);
    CHECK(strcmp(weave_refs_get(ids, 2), "0192f3b0-11aa-7c3d-8e5f-6a7b8c9d0e1f") == 0);
    weave_refs_free(ids);
    ids = NULL;
    int batches = wt_requests(BASE, "/feedback/batch/create");
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_batch(q, "[]", &ids, &err));
    CHECK(weave_refs_len(ids) == 0);
    CHECK(wt_requests(BASE, "/feedback/batch/create") == batches);
    weave_refs_free(ids);
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_batch(
                                q, "[{\"feedback_type\": \"wandb.note.1\", \"payload\": {\"note\": \"b2\"}}]",
                                NULL, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(q, &after, &err));
    CHECK(weave_feedbacks_len(after) == 7);
    weave_feedbacks_free(after);

    /* Ownership: results outlive the query and the client; free in any order. */
    char *out_id = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_note(q, "last", "Zed", &out_id, &err));
    weave_ref_feedback_query_free(q);
    weave_client_free(c);
    CHECK(weave_feedbacks_len(again) == 4 && weave_feedbacks_len(fresh) == 4);
    CHECK(strcmp(weave_feedback_id(find_type(fresh, "helpfulness")), score_id) == 0);
    const weave_feedback *kept = weave_feedbacks_get(fresh, 0);
    weave_feedbacks_free(again);
    CHECK(weave_feedback_id(kept) != NULL); /* still valid: `fresh` owns it */
    weave_feedbacks_free(fresh);
    weave_feedbacks_free(fs);
    CHECK(out_id != NULL && strlen(out_id) == 36);
    weave_string_free(out_id);
    weave_string_free(reaction_id);
    weave_string_free(note_id);
    weave_string_free(score_id);
}

static void test_project_query(const char *entity, const char *project) {
    weave_error *err = NULL;
    char ref1[256], ref2[256];
    wt_call_ref(ref1, sizeof ref1, entity, project);
    wt_call_ref(ref2, sizeof ref2, entity, project);
    weave_client *c = make_client(BASE, API_KEY, 2, 0, 0);
    weave_ref_feedback_query *q1 = ref_query(c, ref1);
    weave_ref_feedback_query *q2 = ref_query(c, ref2);
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_note(q1, "n1", NULL, NULL, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_note(q2, "n2", NULL, NULL, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_reaction(q1, "🚀", NULL, NULL, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_note(q1, "n3", NULL, NULL, &err));
    weave_ref_feedback_query_free(q1);
    weave_ref_feedback_query_free(q2);

    /* Everything, with the Ref column. */
    weave_feedback_query *all = NULL;
    EXPECT(WEAVE_STATUS_OK,
           weave_feedback_query_new(c, entity, project, NULL, -1, -1, true, &all, &err));
    weave_client_free(c); /* the query copied what it needs */
    weave_feedbacks *fs = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_execute(all, &fs, &err));
    CHECK(weave_feedbacks_len(fs) == 4);
    char *table = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedbacks_format_table(fs, &table, &err));
    CHECK(table != NULL && strncmp(table, "Ref", 3) == 0 && contains(table, ref2));
    weave_string_free(table);
    weave_refs *refs = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_refs(all, &refs, &err));
    CHECK(weave_refs_len(refs) == 2);
    CHECK(weave_refs_len(refs) == 2 && strcmp(weave_refs_get(refs, 0), ref1) == 0 &&
          strcmp(weave_refs_get(refs, 1), ref2) == 0);
    weave_refs_free(refs);
    weave_feedbacks *fs2 = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_refresh(all, &fs2, &err));
    CHECK(weave_feedbacks_len(fs2) == 4);
    weave_feedback_query_free(all);
    CHECK(weave_feedbacks_len(fs) == 4); /* outlives its query */
    weave_feedbacks_free(fs2);
    weave_feedbacks_free(fs);

    /* A filter, offset and limit. */
    c = make_client(BASE, API_KEY, 2, 0, 0);
    const char *notes =
        "{\"$expr\": {\"$eq\": [{\"$getField\": \"feedback_type\"}, {\"$literal\": \"wandb.note.1\"}]}}";
    weave_feedback_query *fq = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_new(c, entity, project, notes, -1, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_execute(fq, &fs, &err));
    CHECK(weave_feedbacks_len(fs) == 3);
    CHECK(find_type(fs, "wandb.reaction.1") == NULL);
    weave_feedbacks_free(fs);
    weave_feedback_query_free(fq);
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_new(c, entity, project, notes, 1, 1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_execute(fq, &fs, &err));
    CHECK(weave_feedbacks_len(fs) == 1);
    CHECK(weave_feedbacks_len(fs) == 1 &&
          strcmp(weave_feedback_payload_json(weave_feedbacks_get(fs, 0)), "{\"note\":\"n2\"}") == 0);
    weave_feedbacks_free(fs);
    weave_feedback_query_free(fq);
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_new(c, entity, project, NULL, 2, -1, false, &fq, &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_execute(fq, &fs, &err));
    CHECK(weave_feedbacks_len(fs) == 2);
    weave_feedbacks_free(fs);
    weave_feedback_query_free(fq);
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_new(c, entity, project, NULL, -1, 0, false, &fq, &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_execute(fq, &fs, &err));
    CHECK(weave_feedbacks_len(fs) == 0);
    weave_feedbacks_free(fs);
    weave_feedback_query_free(fq);
    weave_client_free(c);
}

/* Checks status, HTTP status and attempts of a failing execute, then resets the faults. */
static void expect_execute_failure(const char *file, int line, weave_client *c, const char *ref,
                                   weave_status want, uint16_t http, uint32_t attempts) {
    weave_error *err = NULL;
    weave_ref_feedback_query *q = ref_query(c, ref);
    weave_feedbacks *fs = SENTINEL(weave_feedbacks *);
    weave_status st = weave_ref_feedback_query_execute(q, &fs, &err);
    wt_check_status(file, line, "execute", want, st, err);
    if (weave_error_status(err) != want || weave_error_http_status(err) != http ||
        weave_error_attempts(err) != attempts || fs != SENTINEL(weave_feedbacks *)) {
        wt_failed++;
        fprintf(stderr, "%s:%d: error status %d http %u attempts %u (want %d %u %u): %s\n", file,
                line, (int)weave_error_status(err), (unsigned)weave_error_http_status(err),
                (unsigned)weave_error_attempts(err), (int)want, (unsigned)http,
                (unsigned)attempts, weave_error_message(err));
    } else {
        wt_passed++;
    }
    weave_error_free(err);
    weave_ref_feedback_query_free(q);
    CHECK(wt_faults(BASE, "{}") == 200);
}
#define EXPECT_EXECUTE_FAILURE(c, ref, want, http, attempts) \
    expect_execute_failure(__FILE__, __LINE__, c, ref, want, http, attempts)

static void test_server_statuses(const char *entity, const char *project) {
    weave_error *err = NULL;
    char ref[256];
    wt_call_ref(ref, sizeof ref, entity, project);
    weave_client *c = make_client(BASE, API_KEY, 2, 0, 0);
    weave_ref_feedback_query *q = ref_query(c, ref);
    char *id = SENTINEL(char *);

    /* UNAUTHORIZED: a wrong key, and no key, against a server that wants one. */
    if (API_KEY) {
        const char *wrong = "wrong-key-0123456789";
        weave_client *bad = make_client(BASE, wrong, 2, 0, 0);
        weave_ref_feedback_query *bq = ref_query(bad, ref);
        CHECK(weave_ref_feedback_query_add_note(bq, "x", NULL, &id, &err) == WEAVE_STATUS_UNAUTHORIZED);
        CHECK(weave_error_http_status(err) == 401);
        CHECK(err && !contains(weave_error_message(err), wrong));
        weave_error_free(err);
        err = NULL;
        CHECK(id == SENTINEL(char *));
        weave_ref_feedback_query_free(bq);
        weave_client_free(bad);
        bad = make_client(BASE, NULL, 2, 0, 0); /* no key at all */
        EXPECT_EXECUTE_FAILURE(bad, ref, WEAVE_STATUS_UNAUTHORIZED, 401, 1);
        weave_client_free(bad);
    } else {
        fprintf(stderr, "note: no WEAVE_TEST_API_KEY, UNAUTHORIZED not tested\n");
    }

    /* NOT_FOUND: an annotation spec that does not exist; a 404 route. */
    CHECK(weave_ref_feedback_query_add(q, "wandb.annotation.rating", "{\"value\": 1}", NULL,
                                       NULL, &id, &err) == WEAVE_STATUS_INVALID_FEEDBACK);
    weave_error_free(err);
    err = NULL;
    char aref[256];
    snprintf(aref, sizeof aref, "weave:///%s/%s/object/rating:0123456789abcdef", entity, project);
    CHECK(weave_ref_feedback_query_add(q, "wandb.annotation.rating", "{\"value\": 1}", NULL, aref,
                                       &id, &err) == WEAVE_STATUS_NOT_FOUND);
    CHECK(weave_error_http_status(err) == 404 && contains(weave_error_message(err), "not found"));
    weave_error_free(err);
    err = NULL;
    CHECK(wt_faults(BASE, "{\"status_for_route\": {\"/feedback/query\": 404}}") == 200);
    EXPECT_EXECUTE_FAILURE(c, ref, WEAVE_STATUS_NOT_FOUND, 404, 1);

    /* REJECTED: the server counts emoji. */
    CHECK(weave_ref_feedback_query_add_reaction(q, "👍👍", NULL, &id, &err) == WEAVE_STATUS_REJECTED);
    CHECK(weave_error_http_status(err) == 400 && contains(weave_error_message(err), "emoji"));
    weave_error_free(err);
    err = NULL;
    CHECK(id == SENTINEL(char *));

    /* RATE_LIMITED and SERVER after retries (1 ms backoff). */
    weave_client *quick = make_client(BASE, API_KEY, 1, 0, 0);
    CHECK(wt_faults(BASE, "{\"rate_limit_every\": 1, \"retry_after\": 0}") == 200);
    EXPECT_EXECUTE_FAILURE(quick, ref, WEAVE_STATUS_RATE_LIMITED, 429, 2);
    CHECK(wt_faults(BASE, "{\"fail_first\": 100, \"fail_status\": 503}") == 200);
    EXPECT_EXECUTE_FAILURE(c, ref, WEAVE_STATUS_SERVER, 503, 3);
    /* ... and success when the failures stop within the retries. */
    CHECK(wt_faults(BASE, "{\"fail_first\": 1, \"fail_status\": 502}") == 200);
    weave_feedbacks *fs = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_refresh(q, &fs, &err));
    weave_feedbacks_free(fs);
    CHECK(wt_faults(BASE, "{\"fail_first\": 1, \"fail_status\": 500}") == 200);
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_note(q, "after a 500", NULL, NULL, &err));
    CHECK(wt_faults(BASE, "{}") == 200);
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(q, &fs, &err));
    CHECK(weave_feedbacks_len(fs) == 1); /* stored once despite the retry */
    weave_feedbacks_free(fs);
    weave_client_free(quick);

    /* TIMEOUT: per attempt, and the whole-call deadline. */
    weave_client *slow = make_client(BASE, API_KEY, 0, 300, 0);
    CHECK(wt_faults(BASE, "{\"delay_ms\": 1500, \"delay_first\": 100}") == 200);
    EXPECT_EXECUTE_FAILURE(slow, ref, WEAVE_STATUS_TIMEOUT, 0, 1);
    weave_client_free(slow);
    slow = make_client(BASE, API_KEY, 50, 5000, 400);
    CHECK(wt_faults(BASE, "{\"delay_ms\": 1500, \"delay_first\": 100}") == 200);
    weave_ref_feedback_query *sq = ref_query(slow, ref);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(weave_ref_feedback_query_execute(sq, &fs, &err) == WEAVE_STATUS_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
    CHECK(ms >= 350 && ms < 1400); /* the 400 ms deadline, not the 5 s timeout or the 1.5 s delay */
    CHECK(weave_error_attempts(err) == 1);
    weave_error_free(err);
    err = NULL;
    weave_ref_feedback_query_free(sq);
    CHECK(wt_faults(BASE, "{}") == 200);
    weave_client_free(slow);

    /* DECODE: a 2xx answer that is not a query response. */
    CHECK(wt_faults(BASE, "{\"fail_first\": 1, \"fail_status\": 200, \"fail_body\": {\"rows\": 1}}") == 200);
    EXPECT_EXECUTE_FAILURE(c, ref, WEAVE_STATUS_DECODE, 0, 0);
    CHECK(wt_faults(BASE,
                    "{\"fail_first\": 1, \"fail_status\": 200, \"fail_body\": \"<html>\", "
                    "\"fail_content_type\": \"text/html\"}") == 200);
    EXPECT_EXECUTE_FAILURE(c, ref, WEAVE_STATUS_DECODE, 0, 0);

    /* TRANSPORT: nothing listens on the port. */
    char closed[64];
    snprintf(closed, sizeof closed, "http://127.0.0.1:%d", wt_closed_port());
    weave_client *nowhere = make_client(closed, API_KEY, 0, 0, 0);
    EXPECT_EXECUTE_FAILURE(nowhere, ref, WEAVE_STATUS_TRANSPORT, 0, 1);
    weave_ref_feedback_query *nq = ref_query(nowhere, ref);
    EXPECT(WEAVE_STATUS_TRANSPORT, weave_ref_feedback_query_add_note(nq, "x", NULL, &id, &err));
    CHECK(id == SENTINEL(char *));
    weave_ref_feedback_query_free(nq);
    weave_client_free(nowhere);

    /* A write whose answer is lost names the ids it used, and they are the stored ones. */
    weave_client *once = make_client(BASE, API_KEY, 0, 0, 0); /* no retries */
    weave_ref_feedback_query *oq = ref_query(once, ref);
    CHECK(wt_faults(BASE, "{\"drop_after_commit_first\": 1}") == 200);
    weave_refs *batch_ids = SENTINEL(weave_refs *);
    CHECK(weave_ref_feedback_query_add_batch(
              oq, "[{\"feedback_type\": \"wandb.note.1\", \"payload\": {\"note\": \"a\"}},"
                  " {\"feedback_type\": \"wandb.note.1\", \"payload\": {\"note\": \"b\"}}]",
              &batch_ids, &err) == WEAVE_STATUS_TRANSPORT);
    CHECK(batch_ids == SENTINEL(weave_refs *));
    weave_error *lost = err;
    err = NULL;
    CHECK(weave_error_feedback_id_count(lost) == 2);
    CHECK(weave_error_feedback_id(lost) != NULL &&
          strcmp(weave_error_feedback_id(lost), weave_error_feedback_id_at(lost, 0)) == 0);
    CHECK(weave_error_feedback_id_at(lost, 2) == NULL);
    CHECK(contains(weave_error_message(lost), "may have been stored"));
    CHECK(wt_faults(BASE, "{}") == 200);
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_refresh(oq, &fs, &err));
    int stored = 0;
    for (size_t i = 0; i < weave_feedbacks_len(fs); i++) {
        const char *fid = weave_feedback_id(weave_feedbacks_get(fs, i));
        stored += strcmp(fid, weave_error_feedback_id_at(lost, 0)) == 0 ||
                  strcmp(fid, weave_error_feedback_id_at(lost, 1)) == 0;
    }
    CHECK(stored == 2);
    weave_feedbacks_free(fs);
    weave_error_free(lost);
    weave_ref_feedback_query_free(oq);
    weave_client_free(once);

    /* A failed refresh keeps the cache. */
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(q, &fs, &err));
    weave_feedbacks_free(fs);
    int before = wt_requests(BASE, "/feedback/query");
    CHECK(wt_faults(BASE, "{\"status_for_route\": {\"/feedback/query\": 400}}") == 200);
    EXPECT(WEAVE_STATUS_REJECTED, weave_ref_feedback_query_refresh(q, &fs, &err));
    CHECK(wt_faults(BASE, "{}") == 200);
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(q, &fs, &err));
    CHECK(wt_requests(BASE, "/feedback/query") == before + 1);
    CHECK(weave_feedbacks_len(fs) == 1);
    weave_feedbacks_free(fs);

    weave_ref_feedback_query_free(q);
    weave_client_free(c);
}

/* ------------------------------------------------- hostile input, refused before sending */

static void test_hostile_input(const weave_client *c, const char *ref) {
    weave_error *err = NULL;
    char *id = SENTINEL(char *);
    CHECK(wt_reset(BASE) == 200);
    weave_ref_feedback_query *q = ref_query(c, ref);

    /* Refs with bad percent escapes, or escapes that are not UTF-8, are accepted as the SDK
     * accepts them (kept as written); an empty entity is not. */
    const char *lenient[] = {"weave:///e/p/object/o:v/key/%zz", "weave:///e/p/object/o:v/key/%4",
                             "weave:///e/p/object/o:v/key/%FF"};
    for (size_t i = 0; i < sizeof lenient / sizeof lenient[0]; i++) {
        weave_ref_feedback_query *lq = NULL;
        EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_new(c, lenient[i], &lq, &err));
        weave_ref_feedback_query_free(lq);
    }
    weave_ref_feedback_query *rq = SENTINEL(weave_ref_feedback_query *);
    EXPECT(WEAVE_STATUS_INVALID_REF, weave_ref_feedback_query_new(c, "weave:////p/call/x", &rq, &err));
    CHECK(rq == SENTINEL(weave_ref_feedback_query *));

    /* A payload over the server's 1 MiB, measured as Python's json.dumps does: 200 000 x "é"
     * is 400 kB of UTF-8 but 1.2 M characters once ASCII-escaped. */
    size_t n = 200000;
    char *big = malloc(2 * n + 32);
    REQUIRE(big != NULL);
    char *w = big + sprintf(big, "{\"blob\": \"");
    for (size_t i = 0; i < n; i++) {
        *w++ = (char)0xC3;
        *w++ = (char)0xA9;
    }
    strcpy(w, "\"}");
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK, weave_ref_feedback_query_add(q, "t", big, NULL, NULL, &id, &err));
    free(big);

    /* Notes outside 1..1024 characters (code points, not bytes). */
    char note[3 * 1024 + 8];
    char *p = note;
    for (int i = 0; i < 1024; i++) {
        *p++ = (char)0xC3;
        *p++ = (char)0xA9;
    }
    *p = '\0';
    char *ok_id = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_note(q, note, NULL, &ok_id, &err));
    weave_string_free(ok_id);
    p[0] = 'x';
    p[1] = '\0';
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK, weave_ref_feedback_query_add_note(q, note, NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK, weave_ref_feedback_query_add_note(q, "", NULL, &id, &err));

    /* Non-emoji reactions. */
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK, weave_ref_feedback_query_add_reaction(q, "ok", NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK, weave_ref_feedback_query_add_reaction(q, "", NULL, &id, &err));
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK,
           weave_ref_feedback_query_add_reaction(q, ":thumbs_up:", NULL, &id, &err));
    CHECK(id == SENTINEL(char *));

    /* None of the above reached the server's create route (the one good note did). */
    CHECK(wt_requests(BASE, "/feedback/create") == 1);

    /* Absurd offsets and limits: INT64_MAX is a valid (empty) page; negatives mean "not set". */
    weave_feedback_query *fq = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_new(c, "e", "p", NULL, INT64_MAX, INT64_MAX, false, &fq, &err));
    weave_feedbacks *rows = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_execute(fq, &rows, &err));
    CHECK(weave_feedbacks_len(rows) == 0);
    weave_feedbacks_free(rows);
    weave_feedback_query_free(fq);
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_new(c, "e", "p", NULL, INT64_MIN, -1, false, &fq, &err));
    weave_feedback_query_free(fq);

    weave_ref_feedback_query_free(q);
}

/* ------------------------------------- stale and mistyped handles: an error, never a crash */

static void test_stale_handles(void) {
    weave_error *err = NULL;
    char ref[256];
    wt_call_ref(ref, sizeof ref, "c-tests", "stale-handles");
    weave_client *c = make_client(BASE, API_KEY, 0, 0, 0);
    weave_ref_feedback_query *q = ref_query(c, ref);
    char *id = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_note(q, "stale handles", NULL, &id, &err));
    weave_string_free(id);
    weave_feedbacks *fs = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(q, &fs, &err));
    weave_refs *refs = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedbacks_refs(fs, &refs, &err));
    REQUIRE(weave_feedbacks_len(fs) == 1 && weave_refs_len(refs) == 1);

    /* A handle of the wrong type is not read as the expected one. */
    CHECK(weave_feedbacks_len((const weave_feedbacks *)(const void *)refs) == 0);
    CHECK(weave_refs_get((const weave_refs *)(const void *)fs, 0) == NULL);
    weave_feedbacks *out = SENTINEL(weave_feedbacks *);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_feedback_query_execute((weave_feedback_query *)(void *)q, &out, &err));
    CHECK(out == SENTINEL(weave_feedbacks *));

    /* Use after free and double free: no handle of the same type is made in between. */
    weave_refs_free(refs);
    CHECK(weave_refs_len(refs) == 0);
    CHECK(weave_refs_get(refs, 0) == NULL);
    weave_refs_free(refs);

    weave_feedbacks_free(fs);
    CHECK(weave_feedbacks_len(fs) == 0);
    CHECK(weave_feedbacks_get(fs, 0) == NULL);
    char *text = SENTINEL(char *);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedbacks_to_json(fs, &text, &err));
    CHECK(text == SENTINEL(char *));
    weave_feedbacks_free(fs);

    weave_ref_feedback_query_free(q);
    id = SENTINEL(char *);
    CHECK(weave_ref_feedback_query_add_note(q, "after free", NULL, &id, &err) ==
          WEAVE_STATUS_INVALID_ARGUMENT);
    CHECK(contains(weave_error_message(err), "not a live handle"));
    weave_error_free(err);
    err = NULL;
    CHECK(id == SENTINEL(char *));
    weave_ref_feedback_query_free(q);

    weave_client_free(c);
    weave_ref_feedback_query *rq = SENTINEL(weave_ref_feedback_query *);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_new(c, ref, &rq, &err));
    CHECK(rq == SENTINEL(weave_ref_feedback_query *));
    weave_client_free(c);

    weave_client_options *o = weave_client_options_new();
    REQUIRE(o != NULL);
    weave_client_options_free(o);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_options_set_max_retries(o, 1, &err));
    weave_client_options_free(o);
}

/* ------------------------------------------------------------------ paging with a cursor */
static void test_cursor(const char *entity, const char *project) {
    weave_error *err = NULL;
    weave_client *c = make_client(BASE, API_KEY, 2, 0, 0);
    char ref[256];
    wt_call_ref(ref, sizeof ref, entity, project);
    weave_ref_feedback_query *rq = ref_query(c, ref);
    /* 23 rows in one batch */
    char items[23 * 64 + 8];
    size_t at = 0;
    items[at++] = '[';
    for (int i = 0; i < 23; i++)
        at += (size_t)snprintf(items + at, sizeof items - at,
                               "%s{\"feedback_type\":\"wandb.note.1\",\"payload\":{\"note\":\"n%d\"}}",
                               i ? "," : "", i);
    snprintf(items + at, sizeof items - at, "]");
    weave_refs *ids = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_batch(rq, items, &ids, &err));
    REQUIRE(weave_refs_len(ids) == 23);

    weave_feedback_query *q = NULL;
    EXPECT(WEAVE_STATUS_OK,
           weave_feedback_query_new(c, entity, project, NULL, -1, -1, false, &q, &err));
    weave_feedback_cursor *cur = SENTINEL(weave_feedback_cursor *);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_cursor_new(q, 0, &cur, &err));
    CHECK(cur == SENTINEL(weave_feedback_cursor *));
    weave_error_free(err);
    err = NULL;
    cur = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_cursor_new(q, 5, &cur, &err));
    weave_feedback_query_free(q); /* the cursor does not need it */
    weave_client_free(c);         /* nor the client */
    size_t seen = 0, pages = 0;
    int in_order = 1;
    for (;;) {
        weave_feedbacks *page = SENTINEL(weave_feedbacks *);
        bool done = false;
        weave_status st = weave_feedback_cursor_next(cur, &page, &done, &err);
        CHECK(st == WEAVE_STATUS_OK);
        if (st != WEAVE_STATUS_OK || done) {
            CHECK(page == NULL || st != WEAVE_STATUS_OK);
            break;
        }
        pages++;
        CHECK(weave_feedbacks_len(page) >= 1 && weave_feedbacks_len(page) <= 5);
        for (size_t i = 0; i < weave_feedbacks_len(page); i++, seen++) {
            const char *id = weave_feedback_id(weave_feedbacks_get(page, i));
            if (seen >= 23 || id == NULL || strcmp(id, weave_refs_get(ids, seen)) != 0) in_order = 0;
        }
        weave_feedbacks_free(page);
    }
    CHECK(seen == 23);
    CHECK(pages == 5);
    CHECK(in_order);
    /* After the end: done again, no request needed. */
    weave_feedbacks *page = SENTINEL(weave_feedbacks *);
    bool done = false;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_cursor_next(cur, &page, &done, &err));
    CHECK(done && page == NULL);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_cursor_next(cur, NULL, &done, &err));
    weave_error_free(err);
    err = NULL;
    weave_feedback_cursor_free(cur);
    weave_feedback_cursor_free(cur); /* a second free is caught: nothing happens */
    weave_feedback_cursor_free(NULL);
    weave_refs_free(ids);
    weave_ref_feedback_query_free(rq);
}

int main(void) {
    BASE = wt_env("WEAVE_TEST_BASE_URL");
    API_KEY = wt_env("WEAVE_TEST_API_KEY");
    printf("c_api: built with AddressSanitizer: %s\n", WT_ASAN ? "yes" : "no");
    test_statics();
    if (!BASE) {
        fprintf(stderr, "WEAVE_TEST_BASE_URL is not set: only the checks without a server ran\n");
        return wt_finish("c_api");
    }
    REQUIRE(wt_reset(BASE) == 200);
    test_options();

    char project[64];
    char t[33];
    wt_token(t);
    snprintf(project, sizeof project, "c-api-%.12s", t);
    const char *entity = "c-tests";
    char ref[256];
    wt_call_ref(ref, sizeof ref, entity, project);
    weave_client *c = make_client(BASE, API_KEY, 2, 0, 0);
    test_argument_checks(c, ref);
    test_hostile_input(c, ref);
    weave_client_free(c);
    test_stale_handles();

    test_round_trip(entity, project);
    snprintf(project, sizeof project, "c-query-%.12s", t);
    test_project_query(entity, project);
    snprintf(project, sizeof project, "c-status-%.12s", t);
    test_server_statuses(entity, project);
    CHECK(wt_faults(BASE, "{}") == 200);
    snprintf(project, sizeof project, "c-cursor-%.12s", t);
    test_cursor(entity, project);
    return wt_finish("c_api");
}
