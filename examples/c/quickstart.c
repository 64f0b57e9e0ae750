/*
 * Quick start: feedback on a Weave call from C.
 *
 * Build (after `cargo build --release` at the repository root):
 *   cc -std=c11 -Wall -Iinclude examples/c/quickstart.c target/release/libweave_feedback.a -lpthread -ldl -lm -o quickstart
 *
 * Run:
 *   WANDB_API_KEY=... ./quickstart [weave:///entity/project/call/<id>]
 * The server and key come from the environment as in Weave's SDK (WANDB_API_KEY,
 * WF_TRACE_SERVER_URL, ...). It adds a reaction, a note and a custom score to the call,
 * prints the feedback as the SDK's table, then purges the note.
 */
#include <stdio.h>
#include <stdlib.h>

#include "weave_feedback.h"

/* Prints the error of a failed call, frees it, and says whether the call failed. */
static int failed(const char *what, weave_status status, weave_error *err) {
    if (status == WEAVE_STATUS_OK) return 0;
    fprintf(stderr, "%s failed: %s (%s, HTTP %u)\n", what, weave_error_message(err),
            weave_status_str(status), (unsigned)weave_error_http_status(err));
    weave_error_free(err);
    return 1;
}

int main(int argc, char **argv) {
    const char *call = argc > 1 ? argv[1]
                                : "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd";
    int rc = 1;
    weave_error *err = NULL;
    weave_client *client = NULL;
    weave_ref_feedback_query *feedback = NULL;
    weave_feedbacks *rows = NULL;
    weave_feedbacks *after = NULL;
    char *note_id = NULL;
    char *table = NULL;

    /* Defaults from the environment; set_base_url, set_api_key, ... could change them. */
    weave_client_options *options = weave_client_options_new();
    if (failed("weave_client_new", weave_client_new(options, &client, &err), err)) goto done;
    weave_client_options_free(options); /* the client copied what it needs */
    options = NULL;

    if (failed("weave_ref_feedback_query_new",
               weave_ref_feedback_query_new(client, call, &feedback, &err), err))
        goto done;
    if (failed("add_reaction",
               weave_ref_feedback_query_add_reaction(feedback, "👍", "Dana", NULL, &err),
               err))
        goto done;
    if (failed("add_note",
               weave_ref_feedback_query_add_note(feedback, "Clear and correct answer.", NULL,
                                                 &note_id, &err),
               err))
        goto done;
    if (failed("add", weave_ref_feedback_query_add(feedback, "helpfulness", "{\"score\": 4}", NULL,
                                                   NULL, NULL, &err), err))
        goto done;

    if (failed("execute", weave_ref_feedback_query_execute(feedback, &rows, &err), err)) goto done;
    if (failed("format_table", weave_feedbacks_format_table(rows, &table, &err), err)) goto done;
    printf("%zu feedback rows on %s:\n%s", weave_feedbacks_len(rows), call, table);
    for (size_t i = 0; i < weave_feedbacks_len(rows); i++) {
        const weave_feedback *f = weave_feedbacks_get(rows, i);
        printf("  %s %s %s\n", weave_feedback_created_at(f), weave_feedback_feedback_type(f),
               weave_feedback_payload_json(f));
    }

    /* Purging clears the query's cache: the next execute fetches again. The first result
     * stays valid (results are immutable and owned by the caller). */
    if (failed("purge", weave_ref_feedback_query_purge(feedback, note_id, &err), err)) goto done;
    if (failed("execute", weave_ref_feedback_query_execute(feedback, &after, &err), err)) goto done;
    printf("purged the note; %zu rows remain\n", weave_feedbacks_len(after));
    rc = 0;

done:
    weave_string_free(table);
    weave_string_free(note_id);
    weave_feedbacks_free(after);
    weave_feedbacks_free(rows);
    weave_ref_feedback_query_free(feedback);
    weave_client_free(client);
    weave_client_options_free(options);
    return rc;
}
