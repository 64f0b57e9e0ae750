/*
 * The C API against the local store: sqlite:///path URLs (a file, shared by two clients) and
 * sqlite::memory: (one store per client), the server's rules (two emoji refused with HTTP 400,
 * an annotation whose spec cannot exist refused as NOT_FOUND), replace, purge and a project
 * query, and bad sqlite: URLs refused with INVALID_ARGUMENT.
 *
 * Usage: local_store DB_PATH   (an absolute path; the file is created)
 */
#include "test_util.h"

#define CALL "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd"

static weave_client *client_for(const char *url, weave_status *st_out) {
    weave_client_options *o = weave_client_options_new();
    weave_client *c = NULL;
    weave_status st = weave_client_options_set_base_url(o, url, NULL);
    if (st == WEAVE_STATUS_OK) st = weave_client_new(o, &c, NULL);
    weave_client_options_free(o);
    *st_out = st;
    return c;
}

static size_t rows_on_call(weave_client *c) {
    weave_ref_feedback_query *q = NULL;
    weave_feedbacks *rows = NULL;
    size_t n = (size_t)-1;
    if (weave_ref_feedback_query_new(c, CALL, &q, NULL) == WEAVE_STATUS_OK &&
        weave_ref_feedback_query_execute(q, &rows, NULL) == WEAVE_STATUS_OK)
        n = weave_feedbacks_len(rows);
    weave_feedbacks_free(rows);
    weave_ref_feedback_query_free(q);
    return n;
}

int main(int argc, char **argv) {
    REQUIRE(argc == 2 && argv[1][0] == '/');
    char url[4096];
    snprintf(url, sizeof url, "sqlite://%s", argv[1]);
    weave_status st;
    weave_client *c = client_for(url, &st);
    REQUIRE(st == WEAVE_STATUS_OK && c != NULL);

    weave_ref_feedback_query *q = NULL;
    weave_error *err = NULL;
    char *reaction = NULL, *note = NULL, *score = NULL, *replaced = NULL;
    REQUIRE(weave_ref_feedback_query_new(c, CALL, &q, &err) == WEAVE_STATUS_OK);
    CHECK(weave_ref_feedback_query_add_reaction(q, "\xF0\x9F\x91\x8D", "Dana", &reaction, &err) == WEAVE_STATUS_OK);
    CHECK(weave_ref_feedback_query_add_note(q, "Clear and correct answer.", NULL, &note, &err) == WEAVE_STATUS_OK);
    CHECK(weave_ref_feedback_query_add(q, "helpfulness", "{\"score\": 4}", NULL, NULL, &score, &err) == WEAVE_STATUS_OK);
    CHECK(err == NULL);

    /* Two emoji as the emoji package counts them: the server's 400, with its message. */
    st = weave_ref_feedback_query_add_reaction(q, "\xF0\x9F\x91\x8D\xF0\x9F\x91\x8D", NULL, NULL, &err);
    CHECK(st == WEAVE_STATUS_REJECTED);
    CHECK(err && weave_error_http_status(err) == 400);
    CHECK(err && strstr(weave_error_message(err), "exactly one emoji") != NULL);
    weave_error_free(err);
    err = NULL;

    /* An annotation's spec object: the store holds none, so NOT_FOUND. */
    st = weave_ref_feedback_query_add(q, "wandb.annotation.quality", "{\"value\": 1}", NULL,
                                      "weave:///acme/chatbot/object/quality:abc", NULL, &err);
    CHECK(st == WEAVE_STATUS_NOT_FOUND);
    CHECK(err && strstr(weave_error_message(err), "Obj quality:abc not found") != NULL);
    weave_error_free(err);
    err = NULL;

    weave_feedbacks *rows = NULL;
    CHECK(weave_ref_feedback_query_execute(q, &rows, &err) == WEAVE_STATUS_OK);
    CHECK(rows && weave_feedbacks_len(rows) == 3);
    if (rows && weave_feedbacks_len(rows) == 3) {
        const weave_feedback *r0 = weave_feedbacks_get(rows, 0);
        CHECK(strcmp(weave_feedback_id(r0), reaction) == 0);
        CHECK(strstr(weave_feedback_payload_json(r0), "\"alias\":\":thumbs_up:\"") != NULL);
    }
    weave_feedbacks_free(rows);

    CHECK(weave_ref_feedback_query_replace(q, score, "helpfulness", "{\"score\": 5}", NULL, NULL, &replaced, &err) == WEAVE_STATUS_OK);
    CHECK(weave_ref_feedback_query_purge(q, note, &err) == WEAVE_STATUS_OK);
    CHECK(err == NULL);

    /* A second client on the same file sees the same rows; a project query with a filter. */
    weave_client *c2 = client_for(url, &st);
    CHECK(st == WEAVE_STATUS_OK);
    CHECK(rows_on_call(c2) == 2);
    weave_feedback_query *fq = NULL;
    CHECK(weave_feedback_query_new(c2, "acme", "chatbot",
                                   "{\"$expr\": {\"$gte\": [{\"$getField\": \"payload.score\"}, {\"$literal\": 5}]}}",
                                   -1, -1, false, &fq, &err) == WEAVE_STATUS_OK);
    rows = NULL;
    CHECK(fq && weave_feedback_query_execute(fq, &rows, &err) == WEAVE_STATUS_OK);
    CHECK(rows && weave_feedbacks_len(rows) == 1);
    if (rows && weave_feedbacks_len(rows) == 1)
        CHECK(strcmp(weave_feedback_id(weave_feedbacks_get(rows, 0)), replaced) == 0);
    weave_feedbacks_free(rows);
    weave_feedback_query_free(fq);
    weave_client_free(c2);

    /* sqlite::memory: is one store per client. */
    weave_client *m1 = client_for("sqlite::memory:", &st);
    CHECK(st == WEAVE_STATUS_OK);
    weave_client *m2 = client_for("sqlite::memory:", &st);
    CHECK(st == WEAVE_STATUS_OK);
    weave_ref_feedback_query *mq = NULL;
    CHECK(weave_ref_feedback_query_new(m1, CALL, &mq, NULL) == WEAVE_STATUS_OK);
    CHECK(mq && weave_ref_feedback_query_add_note(mq, "in memory", NULL, NULL, NULL) == WEAVE_STATUS_OK);
    weave_ref_feedback_query_free(mq);
    CHECK(rows_on_call(m1) == 1);
    CHECK(rows_on_call(m2) == 0);
    weave_client_free(m1);
    weave_client_free(m2);

    /* Only absolute paths and :memory:. */
    CHECK(client_for("sqlite:relative.db", &st) == NULL && st == WEAVE_STATUS_INVALID_ARGUMENT);
    CHECK(client_for("sqlite://relative.db", &st) == NULL && st == WEAVE_STATUS_INVALID_ARGUMENT);

    weave_string_free(reaction);
    weave_string_free(note);
    weave_string_free(score);
    weave_string_free(replaced);
    weave_ref_feedback_query_free(q);
    weave_client_free(c);
    printf("local_store: %d passed, %d failed\n", wt_passed, wt_failed);
    return wt_failed == 0 ? 0 : 1;
}
