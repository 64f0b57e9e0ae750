/*
 * A C program that uses its own SQLite and weave-feedback's static library at once, linked
 * against libweave_feedback.a and the system's libsqlite3. The static library contains its own
 * (bundled) SQLite under the usual sqlite3_* names: whichever comes first on the link line
 * provides sqlite3_* to the program. Both must work side by side on their own files.
 *
 * Usage: own_sqlite DIR   (an absolute directory; two files are created in it)
 */
#include <sqlite3.h>

#include "test_util.h"

int main(int argc, char **argv) {
    REQUIRE(argc == 2 && argv[1][0] == '/');
    char own[4096], url[4096];
    snprintf(own, sizeof own, "%s/own.db", argv[1]);
    snprintf(url, sizeof url, "sqlite://%s/weave.db", argv[1]);

    sqlite3 *db = NULL;
    REQUIRE(sqlite3_open(own, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (42);", NULL, NULL, NULL) == SQLITE_OK);
    printf("the program's sqlite3_libversion(): %s (header %s)\n", sqlite3_libversion(), SQLITE_VERSION);

    weave_client_options *o = weave_client_options_new();
    weave_client *c = NULL;
    weave_ref_feedback_query *q = NULL;
    weave_feedbacks *rows = NULL;
    CHECK(weave_client_options_set_base_url(o, url, NULL) == WEAVE_STATUS_OK);
    REQUIRE(weave_client_new(o, &c, NULL) == WEAVE_STATUS_OK);
    weave_client_options_free(o);
    REQUIRE(weave_ref_feedback_query_new(c, "weave:///acme/chatbot/call/1", &q, NULL) == WEAVE_STATUS_OK);
    CHECK(weave_ref_feedback_query_add_note(q, "next to my own SQLite", NULL, NULL, NULL) == WEAVE_STATUS_OK);
    CHECK(weave_ref_feedback_query_execute(q, &rows, NULL) == WEAVE_STATUS_OK);
    CHECK(rows && weave_feedbacks_len(rows) == 1);

    /* The program's database is untouched by the library's and still usable. */
    sqlite3_stmt *s = NULL;
    CHECK(sqlite3_prepare_v2(db, "SELECT x FROM t", -1, &s, NULL) == SQLITE_OK);
    CHECK(s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 42);
    sqlite3_finalize(s);
    CHECK(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'feedback'", -1, &s, NULL) == SQLITE_OK);
    CHECK(s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 0);
    sqlite3_finalize(s);
    sqlite3_close(db);

    weave_feedbacks_free(rows);
    weave_ref_feedback_query_free(q);
    weave_client_free(c);
    printf("own_sqlite: %d passed, %d failed\n", wt_passed, wt_failed);
    return wt_failed == 0 ? 0 : 1;
}
