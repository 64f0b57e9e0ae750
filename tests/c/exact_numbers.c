/*
 * Exact payload numbers from C: integers beyond 64 bits, nested in arrays and objects, written
 * with weave_ref_feedback_query_add, _add_batch, _add_runnable and _replace, and read back with
 * every digit through weave_feedback_payload_json, weave_feedback_to_json,
 * weave_feedbacks_to_json and the table; a number no double holds (1e400) is refused.
 *
 * Usage: exact_numbers BASE_URL   (the test server, with WEAVE_TEST_API_KEY; or sqlite::memory:)
 */
#include "test_util.h"

static const char *BASE;

static const char *PAYLOAD =
    "{\"big\": 12345678901234567890123, \"neg\": -98765432109876543210,\n"
    " \"nested\": {\"list\": [1, 123456789012345678901234567890, {\"deep\": -18446744073709551617}]}}";
/* As the server answers it: compact. */
static const char *ANSWERED =
    "{\"big\":12345678901234567890123,\"neg\":-98765432109876543210,"
    "\"nested\":{\"list\":[1,123456789012345678901234567890,{\"deep\":-18446744073709551617}]}}";

static weave_client *make_client(int is_server) {
    weave_error *err = NULL;
    weave_client_options *o = weave_client_options_new();
    REQUIRE(o != NULL);
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_base_url(o, BASE, &err));
    const char *key = wt_env("WEAVE_TEST_API_KEY");
    if (is_server && key) EXPECT(WEAVE_STATUS_OK, weave_client_options_set_api_key(o, key, &err));
    weave_client *c = NULL;
    REQUIRE(weave_client_new(o, &c, &err) == WEAVE_STATUS_OK && c != NULL);
    weave_client_options_free(o);
    return c;
}

/* The row of `rows` with id `id`, or NULL. */
static const weave_feedback *find(const weave_feedbacks *rows, const char *id) {
    for (size_t i = 0; i < weave_feedbacks_len(rows); i++) {
        const weave_feedback *f = weave_feedbacks_get(rows, i);
        if (id && strcmp(weave_feedback_id(f), id) == 0) return f;
    }
    return NULL;
}

static const char *payload_of(const weave_feedbacks *rows, const char *id) {
    const weave_feedback *f = find(rows, id);
    return f ? weave_feedback_payload_json(f) : "";
}

int main(int argc, char **argv) {
    REQUIRE(argc == 2);
    BASE = argv[1];
    int is_server = strncmp(BASE, "http", 4) == 0;
    char t[33], project[40], call[200];
    wt_token(t);
    snprintf(project, sizeof project, "p%.20s", t);
    wt_call_ref(call, sizeof call, "c-exact", project);
    weave_client *c = make_client(is_server);
    weave_error *err = NULL;
    weave_ref_feedback_query *q = NULL;
    REQUIRE(weave_ref_feedback_query_new(c, call, &q, &err) == WEAVE_STATUS_OK);

    char *id = NULL, *scored = NULL, *replaced = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add(q, "bigint", PAYLOAD, NULL, NULL, &id, &err));
    weave_refs *ids = NULL;
    EXPECT(WEAVE_STATUS_OK,
           weave_ref_feedback_query_add_batch(
               q, "[{\"feedback_type\": \"b\", \"payload\": {\"n\": -99999999999999999999}}]", &ids, &err));
    char op[300];
    snprintf(op, sizeof op, "weave:///%s/%s/op/judge:abc", "c-exact", project);
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_runnable(
                                q, op, "{\"score\": 18446744073709551616}", call, NULL, NULL, &scored, &err));
    EXPECT(WEAVE_STATUS_OK,
           weave_ref_feedback_query_replace(q, ids ? weave_refs_get(ids, 0) : "", "r",
                                            "{\"r\": 123456789012345678901234567890}", NULL, NULL,
                                            &replaced, &err));
    /* A number no double holds is refused before anything is sent. */
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT,
           weave_ref_feedback_query_add(q, "t", "{\"x\": 1e400}", NULL, NULL, NULL, &err));

    weave_feedbacks *rows = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_execute(q, &rows, &err));
    REQUIRE(rows != NULL);
    CHECK(weave_feedbacks_len(rows) == 3);
    CHECK(strcmp(payload_of(rows, id), ANSWERED) == 0);
    CHECK(strcmp(payload_of(rows, scored), "{\"output\":{\"score\":18446744073709551616}}") == 0);
    CHECK(strcmp(payload_of(rows, replaced), "{\"r\":123456789012345678901234567890}") == 0);

    char *one = NULL, *all = NULL, *table = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_feedback_to_json(find(rows, id), &one, &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedbacks_to_json(rows, &all, &err));
    EXPECT(WEAVE_STATUS_OK, weave_feedbacks_format_table(rows, &table, &err));
    CHECK(one && strstr(one, ANSWERED) != NULL);
    CHECK(all && strstr(all, ANSWERED) && strstr(all, "18446744073709551616"));
    CHECK(table && strstr(table, "\"big\": 12345678901234567890123,") &&
          strstr(table, "\"deep\": -18446744073709551617"));

    weave_string_free(one);
    weave_string_free(all);
    weave_string_free(table);
    weave_feedbacks_free(rows);
    weave_refs_free(ids);
    weave_string_free(id);
    weave_string_free(scored);
    weave_string_free(replaced);
    weave_ref_feedback_query_free(q);
    weave_client_free(c);
    return wt_finish(is_server ? "exact_numbers (server)" : "exact_numbers (local store)");
}
