/*
 * The durable outbox from C: adds queued while no server answers, a full outbox refused with
 * WEAVE_STATUS_OUTBOX_FULL, a flush past its deadline (TIMEOUT, rows still pending), a second
 * client on the same file delivering everything with one flush, a refused row kept as a dead
 * letter (JSON with the server's reason) and purged, the counters, and NULL arguments.
 *
 * Usage: outbox DIR   (a fresh directory for the outbox file)
 * Needs the test server: WEAVE_TEST_BASE_URL, WEAVE_TEST_API_KEY. Run by tests/c/run.sh.
 */
#include "test_util.h"

static weave_client *outbox_client(const char *url, const char *key, const char *path,
                                   uint64_t max_rows) {
    weave_error *err = NULL;
    weave_client_options *o = weave_client_options_new();
    REQUIRE(o != NULL);
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_base_url(o, url, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_api_key(o, key ? key : "", &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_retry_base_delay_ms(o, 1, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_outbox_path(o, path, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_outbox_max_rows(o, max_rows, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_outbox_lease_ms(o, 30000, &err));
    weave_client *c = NULL;
    weave_status st = weave_client_new(o, &c, &err);
    if (st != WEAVE_STATUS_OK) fprintf(stderr, "weave_client_new: %s\n", weave_error_message(err));
    REQUIRE(st == WEAVE_STATUS_OK && c != NULL);
    weave_client_options_free(o);
    return c;
}

/* Whether the rows on `ref` (read through `c`) include `id`. */
static int stored(const weave_client *c, const char *ref, const char *id) {
    weave_ref_feedback_query *q = NULL;
    weave_feedbacks *rows = NULL;
    int found = 0;
    if (weave_ref_feedback_query_new(c, ref, &q, NULL) == WEAVE_STATUS_OK &&
        weave_ref_feedback_query_execute(q, &rows, NULL) == WEAVE_STATUS_OK) {
        for (size_t i = 0; i < weave_feedbacks_len(rows); i++)
            if (strcmp(weave_feedback_id(weave_feedbacks_get(rows, i)), id) == 0) found++;
    }
    weave_feedbacks_free(rows);
    weave_ref_feedback_query_free(q);
    return found;
}

int main(int argc, char **argv) {
    REQUIRE(argc == 2);
    const char *base = wt_env("WEAVE_TEST_BASE_URL");
    const char *key = wt_env("WEAVE_TEST_API_KEY");
    REQUIRE(base != NULL);
    char path[4096], down[64], ref[256];
    snprintf(path, sizeof path, "%s/outbox.db", argv[1]);
    snprintf(down, sizeof down, "http://127.0.0.1:%d", wt_closed_port());
    wt_call_ref(ref, sizeof ref, "c-outbox", "demo");
    weave_error *err = NULL;

    /* No server: adds return OK with their ids, until the outbox is full. */
    weave_client *offline = outbox_client(down, key, path, 3);
    weave_ref_feedback_query *q = NULL;
    REQUIRE(weave_ref_feedback_query_new(offline, ref, &q, &err) == WEAVE_STATUS_OK);
    char *ids[3] = {NULL, NULL, NULL};
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_note(q, "kept", NULL, &ids[0], &err));
    EXPECT(WEAVE_STATUS_OK,
           weave_ref_feedback_query_add_reaction(q, "\xF0\x9F\x91\x8D", "Dana", &ids[1], &err));
    EXPECT(WEAVE_STATUS_OK,
           weave_ref_feedback_query_add(q, "helpfulness", "{\"score\": 4}", NULL, NULL, &ids[2], &err));
    REQUIRE(ids[0] && ids[1] && ids[2]);
    char *extra = NULL;
    weave_status st = weave_ref_feedback_query_add_note(q, "one too many", NULL, &extra, &err);
    CHECK(st == WEAVE_STATUS_OUTBOX_FULL);
    CHECK(extra == NULL);
    CHECK(err && strstr(weave_error_message(err), "outbox full") != NULL);
    CHECK(strcmp(weave_status_str(WEAVE_STATUS_OUTBOX_FULL), "outbox full") == 0);
    weave_error_free(err);
    err = NULL;
    uint64_t pending = 99;
    EXPECT(WEAVE_STATUS_OK, weave_client_outbox_pending(offline, &pending, &err));
    CHECK(pending == 3);
    pending = 99;
    EXPECT(WEAVE_STATUS_TIMEOUT, weave_client_flush(offline, 200, &pending, &err));
    CHECK(pending == 3);
    weave_outbox_counters n;
    memset(&n, 0xff, sizeof n);
    EXPECT(WEAVE_STATUS_OK, weave_client_outbox_counters(offline, &n, &err));
    CHECK(n.queued == 3 && n.delivered == 0 && n.dead == 0);
    weave_ref_feedback_query_free(q);
    weave_client_free(offline);

    /* The server is there for a new client of the same file: one flush delivers everything. */
    weave_client *online = outbox_client(base, key, path, 100);
    pending = 99;
    EXPECT(WEAVE_STATUS_OK, weave_client_flush(online, 60000, &pending, &err));
    CHECK(pending == 0);
    for (int i = 0; i < 3; i++) CHECK(stored(online, ref, ids[i]) == 1);

    /* A row the server refuses (two emoji): OK for the caller, then a dead letter. */
    REQUIRE(weave_ref_feedback_query_new(online, ref, &q, &err) == WEAVE_STATUS_OK);
    char *refused = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_ref_feedback_query_add_reaction(
                                q, "\xF0\x9F\x91\x8D\xF0\x9F\x91\x8D", NULL, &refused, &err));
    REQUIRE(refused != NULL);
    CHECK(stored(online, ref, refused) == 0);
    char *json = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_client_outbox_dead_letters_json(online, &json, &err));
    CHECK(json && strstr(json, refused) != NULL);
    CHECK(json && strstr(json, "\"http_status\":400") != NULL);
    CHECK(json && strstr(json, "exactly one emoji") != NULL);
    weave_string_free(json);
    json = NULL;
    memset(&n, 0, sizeof n);
    EXPECT(WEAVE_STATUS_OK, weave_client_outbox_counters(online, &n, &err));
    CHECK(n.queued == 1 && n.delivered == 3 && n.dead == 1);
    uint64_t purged = 0;
    EXPECT(WEAVE_STATUS_OK, weave_client_outbox_purge_dead_letters(online, refused, &purged, &err));
    CHECK(purged == 1);
    EXPECT(WEAVE_STATUS_OK, weave_client_outbox_dead_letters_json(online, &json, &err));
    CHECK(json && strcmp(json, "[]") == 0);
    weave_string_free(json);

    /* Arguments. */
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_flush(NULL, 1, &pending, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_outbox_pending(online, NULL, &err));
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_outbox_purge_dead_letters(online, "", NULL, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_outbox_purge_dead_letters(online, NULL, NULL, &err));
    weave_client_options *o = weave_client_options_new();
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_options_set_outbox_path(o, NULL, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_outbox_path(o, path, &err));
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_outbox_max_rows(o, 0, &err));
    weave_client *bad = NULL;
    EXPECT(WEAVE_STATUS_INVALID_ARGUMENT, weave_client_new(o, &bad, &err));
    CHECK(bad == NULL);
    weave_client_options_free(o);

    /* Without an outbox: nothing is ever pending. */
    o = weave_client_options_new();
    EXPECT(WEAVE_STATUS_OK, weave_client_options_set_base_url(o, base, &err));
    weave_client *plain = NULL;
    EXPECT(WEAVE_STATUS_OK, weave_client_new(o, &plain, &err));
    pending = 99;
    EXPECT(WEAVE_STATUS_OK, weave_client_flush(plain, 0, &pending, &err));
    CHECK(pending == 0);
    weave_client_free(plain);
    weave_client_options_free(o);

    weave_string_free(refused);
    for (int i = 0; i < 3; i++) weave_string_free(ids[i]);
    weave_ref_feedback_query_free(q);
    weave_client_free(online);
    return wt_finish("outbox");
}
