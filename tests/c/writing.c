/*
 * Writing beyond add(): refs built from their parts (weave_ref_build_*), scorer feedback
 * (weave_ref_feedback_query_add_runnable and the runnable keys of a batch item), and refs with
 * malformed % escapes. Runs against the test server (WEAVE_TEST_BASE_URL) and the local store.
 */
#include "test_util.h"

#include <stdint.h>

#define SENTINEL(type) ((type)(uintptr_t)0x5EA1)

static int same(const char *a, const char *b) { return a != NULL && b != NULL && strcmp(a, b) == 0; }

static void test_ref_builders(void) {
    weave_error *err = NULL;
    char *s = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_build_call("acme", "chatbot", "0192f3a4", NULL, 0, &s, &err));
    CHECK(same(s, "weave:///acme/chatbot/call/0192f3a4"));
    weave_string_free(s);

    const char *extra[] = {"attr", "rows", "id", "row/7 \xC3\xA9%"};
    s = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_build_object("acme", "chatbot", "eval-set", "v3", extra, 4, &s, &err));
    CHECK(same(s, "weave:///acme/chatbot/object/eval-set:v3/attr/rows/id/row%2F7%20%C3%A9%25"));
    weave_string_free(s);

    const char *key[] = {"key", "a:b"};
    s = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_build_op("acme", "chatbot", "judge", "abc", key, 2, &s, &err));
    CHECK(same(s, "weave:///acme/chatbot/op/judge:abc/key/a%3Ab"));
    weave_string_free(s);

    s = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_build_table("acme", "chatbot", "Kp2", &s, &err));
    CHECK(same(s, "weave:///acme/chatbot/table/Kp2"));
    weave_string_free(s);

    /* Refusals leave the out-parameter alone. */
    s = SENTINEL(char *);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_build_call("", "p", "x", NULL, 0, &s, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_build_call("e", "p", "a/b", NULL, 0, &s, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_build_call("e", "p", "x", NULL, 2, &s, &err));
    const char *with_null[] = {"key", NULL};
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_build_call("e", "p", "x", with_null, 2, &s, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_build_object("e", "p", "a:b", "v", NULL, 0, &s, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_build_op("e", "p", "a", "", NULL, 0, &s, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_build_table("e", "p", "d:1", &s, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_build_table("e", "p", NULL, &s, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_build_table("e", "p", "d", NULL, &err));
    const char bad_utf8[] = {(char)0xFF, 0};
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_build_table(bad_utf8, "p", "d", &s, &err));
    CHECK(s == SENTINEL(char *));
}

static weave_client *client_for(const char *url, const char *key) {
    weave_error *err = NULL;
    weave_client_options *o = weave_client_options_new();
    REQUIRE(o != NULL);
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_base_url(o, url, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_api_key(o, key ? key : "", &err));
    weave_client *c = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_client_new(o, &c, &err));
    weave_client_options_free(o);
    REQUIRE(c != NULL);
    return c;
}

/* Scorer feedback and lenient refs against one backend. */
static void test_writing(const char *url, const char *key, const char *project) {
    weave_error *err = NULL;
    weave_client *c = client_for(url, key);
    char call[256], scoring_call[256], judge_op[128], judge_obj[128];
    wt_call_ref(call, sizeof call, "c-tests", project);
    wt_call_ref(scoring_call, sizeof scoring_call, "c-tests", project);
    snprintf(judge_op, sizeof judge_op, "weave:///c-tests/%s/op/judge:abc", project);
    snprintf(judge_obj, sizeof judge_obj, "weave:///c-tests/%s/object/judge:abc", project);

    weave_ref_feedback_query *q = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_new(c, call, &q, &err));
    REQUIRE(q != NULL);
    char *id = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_runnable(q, judge_op, "{\"score\": 0.5}",
                                                                  scoring_call, judge_obj, "ci", &id, &err));
    CHECK(id != NULL);

    /* Refused before sending: an op scorer without call_ref, bad JSON, a call as scorer. */
    char *none = SENTINEL(char *);
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK,
           weave_ref_feedback_query_add_runnable(q, judge_op, "1", NULL, NULL, NULL, &none, &err));
    EXPECT(WEAVE_STATUS_INVALID_FEEDBACK,
           weave_ref_feedback_query_add_runnable(q, judge_op, "1", "", NULL, NULL, &none, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add_runnable(q, judge_obj, "{oops", NULL, NULL, NULL, &none, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add_runnable(q, judge_obj, NULL, NULL, NULL, NULL, &none, &err));
    EXPECT(WEAVE_STATUS_INVALID_REF,
           weave_ref_feedback_query_add_runnable(q, call, "1", NULL, NULL, NULL, &none, &err));
    CHECK(none == SENTINEL(char *));

    /* The runnable keys of a batch item. */
    char batch[1024];
    snprintf(batch, sizeof batch,
             "[{\"feedback_type\": \"wandb.runnable.judge\", \"payload\": {\"output\": [1, 2]},"
             " \"runnable_ref\": \"%s\", \"trigger_ref\": \"%s\", \"queue_id\": null}]",
             judge_obj, judge_op);
    weave_refs *ids = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_batch(q, batch, &ids, &err));
    CHECK(ids != NULL && weave_refs_len(ids) == 1);
    weave_refs_free(ids);

    weave_feedbacks *rows = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(q, &rows, &err));
    REQUIRE(rows != NULL && weave_feedbacks_len(rows) == 2);
    const weave_feedback *f = weave_feedbacks_get(rows, 0);
    CHECK(same(weave_feedback_id(f), id));
    CHECK(same(weave_feedback_feedback_type(f), "wandb.runnable.judge"));
    CHECK(same(weave_feedback_payload_json(f), "{\"output\":{\"score\":0.5}}"));
    CHECK(same(weave_feedback_runnable_ref(f), judge_op));
    CHECK(same(weave_feedback_call_ref(f), scoring_call));
    CHECK(same(weave_feedback_trigger_ref(f), judge_obj));
    CHECK(weave_feedback_queue_id(f) == NULL);
    CHECK(same(weave_feedback_creator(f), "ci"));
    f = weave_feedbacks_get(rows, 1);
    CHECK(same(weave_feedback_runnable_ref(f), judge_obj));
    CHECK(same(weave_feedback_trigger_ref(f), judge_op));
    CHECK(weave_feedback_call_ref(f) == NULL);
    weave_feedbacks_free(rows);
    weave_string_free(id);
    weave_ref_feedback_query_free(q);

    /* A ref with a malformed escape: stored and matched as written. */
    char odd[256];
    snprintf(odd, sizeof odd, "weave:///c-tests/%s/object/rubric:v1/key/%%zz%%4", project);
    q = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_new(c, odd, &q, &err));
    REQUIRE(q != NULL);
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_note(q, "odd ref", NULL, NULL, &err));
    rows = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(q, &rows, &err));
    REQUIRE(rows != NULL && weave_feedbacks_len(rows) == 1);
    CHECK(same(weave_feedback_weave_ref(weave_feedbacks_get(rows, 0)), odd));
    weave_feedbacks_free(rows);
    weave_ref_feedback_query_free(q);
    weave_client_free(c);
}

int main(void) {
    const char *base = wt_env("WEAVE_TEST_BASE_URL");
    const char *key = wt_env("WEAVE_TEST_API_KEY");
    char project[64], t[33];
    wt_token(t);
    test_ref_builders();
    snprintf(project, sizeof project, "c-writing-local-%.12s", t);
    test_writing("sqlite::memory:", NULL, project);
    if (!base) {
        fprintf(stderr, "WEAVE_TEST_BASE_URL is not set: only the checks without a server ran\n");
        return wt_finish("writing");
    }
    snprintf(project, sizeof project, "c-writing-%.12s", t);
    test_writing(base, key, project);
    return wt_finish("writing");
}
