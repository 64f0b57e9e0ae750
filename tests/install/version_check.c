/* Compiled against the installed header and library: the header's version macros must name the
 * library it runs with, and the library must answer a call (a bad ref, no network needed). */
#include <stdio.h>
#include <string.h>

#include <weave_feedback.h>

int main(void) {
    weave_client *client = NULL;
    weave_ref_feedback_query *q = NULL;
    weave_error *err = NULL;
    int failures = 0;
    if (strcmp(WEAVE_FEEDBACK_VERSION, weave_feedback_version()) != 0) {
        fprintf(stderr, "header %s, library %s\n", WEAVE_FEEDBACK_VERSION, weave_feedback_version());
        failures++;
    }
    weave_status st = weave_client_new(NULL, &client, &err);
    if (st == WEAVE_STATUS_OK)
        st = weave_ref_feedback_query_new(client, "weave://not-a-ref", &q, &err);
    if (st != WEAVE_STATUS_INVALID_REF || err == NULL) {
        fprintf(stderr, "expected WEAVE_STATUS_INVALID_REF, got %d\n", (int)st);
        failures++;
    }
    printf("weave-feedback %s: %s\n", weave_feedback_version(), err ? weave_error_message(err) : "-");
    weave_error_free(err);
    weave_ref_feedback_query_free(q);
    weave_client_free(client);
    return failures ? 1 : 0;
}
