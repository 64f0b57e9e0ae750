/*
 * Quick start: feedback on a Weave call from C.
 *
 * Build (after `make install` at the repository root; see the README for other prefixes):
 *   cc -std=c11 -Wall examples/c/quickstart.c $(pkg-config --cflags --libs weave-feedback) -o quickstart
 *
 * Run:
 *   WANDB_API_KEY=... ./quickstart [weave:///entity/project/call/<id>]
 * The server and key come from the environment as in Weave's SDK (WANDB_API_KEY,
 * WF_TRACE_SERVER_URL, ...). It adds a reaction, a note and a custom score to the call,
 * prints the feedback as the SDK's table, then purges the note. On any error it prints
 * the error's message and exits with status 1.
 */
#include <stdio.h>
#include <stdlib.h>

#include "weave_feedback.h"

/* Prints the error a failed call wrote to *err, frees it and sets *err back to NULL. Call it
 * on its own statement, after the call has returned: *err is written by the call. The message
 * already names the status ("unauthorized (HTTP 401): ..."); weave_error_status and
 * weave_error_http_status give the same facts as numbers, to branch on. */
static void report(const char *what, weave_error **err) {
    fprintf(stderr, "%s failed: %s\n", what, weave_error_message(*err));
    weave_error_free(*err);
    *err = NULL;
}

int main(int argc, char **argv) {
    const char *call = argc > 1 ? argv[1]
                                : "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd";
    int rc = 1;
    weave_status st;
    weave_error *err = NULL;
    weave_client *client = NULL;
    weave_ref_feedback_query *feedback = NULL;
    weave_feedbacks *rows = NULL;
    weave_feedbacks *after = NULL;
    char *note_id = NULL;
    char *table = NULL;

    /* Defaults from the environment; set_base_url, set_api_key, ... could change them. */
    weave_client_options *options = weave_client_options_new();
    st = weave_client_new(options, &client, &err);
    weave_client_options_free(options); /* the client copied what it needs */
    if (st != WEAVE_STATUS_OK) { report("weave_client_new", &err); goto done; }

    st = weave_ref_feedback_query_new(client, call, &feedback, &err);
    if (st != WEAVE_STATUS_OK) { report("weave_ref_feedback_query_new", &err); goto done; }
    st = weave_ref_feedback_query_add_reaction(feedback, "👍", "Dana", NULL, &err);
    if (st != WEAVE_STATUS_OK) { report("add_reaction", &err); goto done; }
    st = weave_ref_feedback_query_add_note(feedback, "Clear and correct answer.", NULL, &note_id,
                                           &err);
    if (st != WEAVE_STATUS_OK) { report("add_note", &err); goto done; }
    st = weave_ref_feedback_query_add(feedback, "helpfulness", "{\"score\": 4}", NULL, NULL, NULL,
                                      &err);
    if (st != WEAVE_STATUS_OK) { report("add", &err); goto done; }

    st = weave_ref_feedback_query_execute(feedback, &rows, &err);
    if (st != WEAVE_STATUS_OK) { report("execute", &err); goto done; }
    st = weave_feedbacks_format_table(rows, &table, &err);
    if (st != WEAVE_STATUS_OK) { report("format_table", &err); goto done; }
    printf("%zu feedback rows on %s:\n%s", weave_feedbacks_len(rows), call, table);
    for (size_t i = 0; i < weave_feedbacks_len(rows); i++) {
        const weave_feedback *f = weave_feedbacks_get(rows, i);
        printf("  %s %s %s\n", weave_feedback_created_at(f), weave_feedback_feedback_type(f),
               weave_feedback_payload_json(f));
    }

    /* Purging clears the query's cache: the next execute fetches again. The first result
     * stays valid (results are immutable and owned by the caller). */
    st = weave_ref_feedback_query_purge(feedback, note_id, &err);
    if (st != WEAVE_STATUS_OK) { report("purge", &err); goto done; }
    st = weave_ref_feedback_query_execute(feedback, &after, &err);
    if (st != WEAVE_STATUS_OK) { report("execute", &err); goto done; }
    printf("purged the note; %zu rows remain\n", weave_feedbacks_len(after));
    rc = 0;

done: /* every path ends here; each _free does nothing on NULL */
    weave_string_free(table);
    weave_string_free(note_id);
    weave_feedbacks_free(after);
    weave_feedbacks_free(rows);
    weave_ref_feedback_query_free(feedback);
    weave_client_free(client);
    return rc;
}
