/*
 * Reading from C: feedback by id (NOT_FOUND for a missing id) and by reaction, offset, limit
 * and the Ref column set on a ref query after it is made, a query as a collection (_len, _get
 * with negative indices, one fetch), sort_by and a fields projection, and the refusals
 * (unknown field, a cursor over a custom sort, a projected query read as whole rows).
 *
 * Usage: reading BASE_URL   (the test server, with WEAVE_TEST_API_KEY; or sqlite::memory:)
 * The same checks pass against both.
 */
#include "test_util.h"

#define UP "\xF0\x9F\x91\x8D"   /* thumbs up */
#define DOWN "\xF0\x9F\x91\x8E" /* thumbs down */
#define SENTINEL(type) ((type)(uintptr_t)0x5EA1)

static const char *BASE;
static int is_server;
static char project[40];
static char call_a[200], call_b[200];

static weave_client *make_client(void) {
    weave_error *err = NULL;
    weave_client_options *o = weave_client_options_new();
    REQUIRE(o != NULL);
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_base_url(o, BASE, &err));
    const char *key = wt_env("WEAVE_TEST_API_KEY");
    if (is_server && key) EXPECT(WEAVE_STATUS_OK, weave_client_options_set_api_key(o, key, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_retry_base_delay_ms(o, 1, &err));
    weave_client *c = NULL;
    REQUIRE(weave_client_new(o, &c, &err) == WEAVE_STATUS_OK && c != NULL);
    weave_client_options_free(o);
    return c;
}

static const char *first_id(const weave_feedbacks *rows) {
    return weave_feedback_id(weave_feedbacks_get(rows, 0));
}

static int starts_with(const char *s, const char *prefix) {
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The table of `rows` starts with the Ref column. */
static int shows_refs(const weave_feedbacks *rows) {
    char *table = NULL;
    int yes = weave_feedbacks_format_table(rows, &table, NULL) == WEAVE_STATUS_OK &&
              starts_with(table, "Ref ");
    weave_string_free(table);
    return yes;
}

static int queries_seen(void) {
    return is_server ? wt_requests(BASE, "/feedback/query") : 0;
}

int main(int argc, char **argv) {
    REQUIRE(argc == 2);
    BASE = argv[1];
    is_server = strncmp(BASE, "http", 4) == 0;
    char t[33];
    wt_token(t);
    snprintf(project, sizeof project, "p%.20s", t);
    wt_call_ref(call_a, sizeof call_a, "c-reading", project);
    wt_call_ref(call_b, sizeof call_b, "c-reading", project);
    weave_client *c = make_client();
    weave_error *err = NULL;

    /* Seed: on A 👍 (Dana), a note, 👎, scores 3 and 10; on B 👍. */
    weave_ref_feedback_query *a = NULL, *b = NULL;
    REQUIRE(weave_ref_feedback_query_new(c, call_a, &a, &err) == WEAVE_STATUS_OK);
    REQUIRE(weave_ref_feedback_query_new(c, call_b, &b, &err) == WEAVE_STATUS_OK);
    char *up = NULL, *note = NULL, *down = NULL, *up_b = NULL, *s3 = NULL, *s10 = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_reaction(a, UP, "Dana", &up, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_note(a, "fine", NULL, &note, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_reaction(a, DOWN, NULL, &down, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_reaction(b, UP, NULL, &up_b, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add(a, "score", "{\"score\": 3}", NULL, NULL, &s3, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add(a, "score", "{\"score\": 10}", NULL, NULL, &s10, &err));
    REQUIRE(up && note && down && up_b && s3 && s10);

    /* By id: one row with the Ref column; a missing id is NOT_FOUND without an HTTP status. */
    weave_feedbacks *rows = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_client_get_feedback(c, "c-reading", project, note, &rows, &err));
    CHECK(weave_feedbacks_len(rows) == 1 && strcmp(first_id(rows), note) == 0);
    CHECK(strcmp(weave_feedback_payload_json(weave_feedbacks_get(rows, 0)), "{\"note\":\"fine\"}") == 0);
    CHECK(shows_refs(rows));
    weave_feedbacks_free(rows);
    rows = SENTINEL(weave_feedbacks *);
    weave_status st = weave_client_get_feedback(c, "c-reading", project,
                                                "0192f3a4-0000-7000-8000-000000000000", &rows, &err);
    CHECK(st == WEAVE_STATUS_NOT_FOUND);
    CHECK(err && weave_error_http_status(err) == 0);
    CHECK(err && starts_with(weave_error_message(err), "not found: no feedback with id 0192f3a4-"));
    CHECK(rows == SENTINEL(weave_feedbacks *));
    weave_error_free(err);
    err = NULL;
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_get_feedback(c, "c-reading", project, NULL, &rows, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_get_feedback(c, "c-reading", project, "", &rows, &err));

    /* By reaction, then without it again. */
    weave_feedback_query *q = NULL;
    REQUIRE(weave_feedback_query_new(c, "c-reading", project, NULL, 0, 100, true, &q, &err) == WEAVE_STATUS_OK);
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_set_reaction(q, UP, &err));
    rows = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_execute(q, &rows, &err));
    CHECK(weave_feedbacks_len(rows) == 2);
    CHECK(rows && strcmp(first_id(rows), up) == 0 &&
          strcmp(weave_feedback_id(weave_feedbacks_get(rows, 1)), up_b) == 0);
    CHECK(shows_refs(rows));
    weave_feedbacks_free(rows);
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_set_reaction(q, NULL, &err));

    /* The query as a collection: one fetch serves _len and _get. */
    int before = queries_seen();
    size_t n = 0;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_len(q, &n, &err));
    CHECK(n == 6);
    rows = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_get(q, -1, &rows, &err));
    CHECK(rows && weave_feedbacks_len(rows) == 1 && strcmp(first_id(rows), s10) == 0);
    CHECK(shows_refs(rows));
    weave_feedbacks_free(rows);
    rows = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_get(q, -6, &rows, &err));
    CHECK(rows && strcmp(first_id(rows), up) == 0);
    weave_feedbacks_free(rows);
    rows = SENTINEL(weave_feedbacks *);
    st = weave_feedback_query_get(q, 6, &rows, &err);
    CHECK(st == WEAVE_STATUS_INVALID_ARGUMENT && rows == SENTINEL(weave_feedbacks *));
    CHECK(err && strstr(weave_error_message(err), "out of range for 6 rows") != NULL);
    weave_error_free(err);
    err = NULL;
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_get(q, -7, &rows, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_get(q, INT64_MIN, &rows, &err));
    if (is_server) CHECK(queries_seen() - before == 1);

    /* Settings after _new: limit, offset. */
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_set_offset(q, 4, &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_set_limit(q, -1, &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_set_show_refs(q, false, &err));
    rows = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_execute(q, &rows, &err));
    CHECK(weave_feedbacks_len(rows) == 2 && strcmp(first_id(rows), s3) == 0 && !shows_refs(rows));
    weave_feedbacks_free(rows);
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_set_offset(q, -1, &err));

    /* A ref query's offset, limit and Ref column. */
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_set_offset(a, 1, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_set_limit(a, 1, &err));
    rows = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(a, &rows, &err));
    CHECK(weave_feedbacks_len(rows) == 1 && strcmp(first_id(rows), note) == 0 && !shows_refs(rows));
    weave_feedbacks_free(rows);
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_set_offset(a, -1, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_set_limit(a, -1, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_set_show_refs(a, true, &err));
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_len(a, &n, &err));
    CHECK(n == 5);
    rows = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_get(a, -1, &rows, &err));
    CHECK(rows && strcmp(first_id(rows), s10) == 0 && shows_refs(rows));
    weave_feedbacks_free(rows);
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_get(a, 5, &rows, &err));

    /* sort_by: newest first; a cursor refuses it; unknown fields are refused. */
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_set_sort_by(q, "[{\"field\": \"created_at\", \"direction\": \"desc\"}]", &err));
    rows = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_execute(q, &rows, &err));
    CHECK(weave_feedbacks_len(rows) == 6 && strcmp(first_id(rows), s10) == 0);
    weave_feedbacks_free(rows);
    weave_feedback_cursor *cur = SENTINEL(weave_feedback_cursor *);
    st = weave_feedback_cursor_new(q, 10, &cur, &err);
    CHECK(st == WEAVE_STATUS_INVALID_ARGUMENT && cur == SENTINEL(weave_feedback_cursor *));
    CHECK(err && strstr(weave_error_message(err), "sort_by") != NULL);
    weave_error_free(err);
    err = NULL;
    st = weave_feedback_query_set_sort_by(q, "[{\"field\": \"nope\", \"direction\": \"asc\"}]", &err);
    CHECK(st == WEAVE_STATUS_INVALID_ARGUMENT);
    CHECK(err && strstr(weave_error_message(err), "Unknown field: nope") != NULL);
    weave_error_free(err);
    err = NULL;
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_set_sort_by(q, "[{\"field\": \"id\", \"direction\": \"ASC\"}]", &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_set_sort_by(q, "{", &err));
    rows = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_execute(q, &rows, &err));
    CHECK(rows && strcmp(first_id(rows), s10) == 0); /* a refused setting changed nothing */
    weave_feedbacks_free(rows);
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_set_sort_by(q, NULL, &err));
    cur = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_cursor_new(q, 10, &cur, &err));
    weave_feedback_cursor_free(cur);

    /* fields: projected rows as JSON; whole-row reads refuse such a query. */
    weave_feedback_query *sq = NULL;
    REQUIRE(weave_feedback_query_new(c, "c-reading", project,
                                     "{\"$expr\":{\"$eq\":[{\"$getField\":\"feedback_type\"},{\"$literal\":\"score\"}]}}",
                                     -1, -1, false, &sq, &err) == WEAVE_STATUS_OK);
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_set_fields(sq, "[\"id\", \"payload.score\"]", &err));
    char *json = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_fetch_projected(sq, &json, &err));
    char want[512];
    snprintf(want, sizeof want, "[{\"id\":\"%s\",\"payload.score\":3},{\"id\":\"%s\",\"payload.score\":10}]", s3, s10);
    CHECK(json && strcmp(json, want) == 0);
    if (json && strcmp(json, want) != 0) fprintf(stderr, "got  %s\nwant %s\n", json, want);
    weave_string_free(json);
    rows = SENTINEL(weave_feedbacks *);
    st = weave_feedback_query_execute(sq, &rows, &err);
    CHECK(st == WEAVE_STATUS_INVALID_ARGUMENT && rows == SENTINEL(weave_feedbacks *));
    CHECK(err && strstr(weave_error_message(err), "fetch_projected") != NULL);
    weave_error_free(err);
    err = NULL;
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_len(sq, &n, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_set_fields(sq, "[\"nope\"]", &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_set_fields(sq, "[1]", &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_set_fields(sq, NULL, &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedback_query_len(sq, &n, &err));
    CHECK(n == 2);

    /* NULL handles and out-parameters. */
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_set_reaction(NULL, UP, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_set_offset(NULL, 1, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_set_limit(NULL, 1, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_set_show_refs(NULL, true, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_set_sort_by(NULL, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_set_fields(NULL, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_fetch_projected(NULL, &json, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_fetch_projected(sq, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_len(NULL, &n, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_len(q, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_get(NULL, 0, &rows, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_feedback_query_get(q, 0, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_set_offset(NULL, 1, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_set_limit(NULL, 1, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_set_show_refs(NULL, true, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_len(NULL, &n, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_ref_feedback_query_get(NULL, 0, &rows, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_get_feedback(NULL, "c-reading", project, note, &rows, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_get_feedback(c, "c-reading", project, note, NULL, &err));

    weave_feedback_query_free(sq);
    weave_feedback_query_free(q);
    weave_ref_feedback_query_free(a);
    weave_ref_feedback_query_free(b);
    weave_string_free(up);
    weave_string_free(note);
    weave_string_free(down);
    weave_string_free(up_b);
    weave_string_free(s3);
    weave_string_free(s10);
    weave_client_free(c);
    return wt_finish(is_server ? "reading (server)" : "reading (local store)");
}
