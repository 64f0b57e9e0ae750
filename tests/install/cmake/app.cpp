// C++17 consumer of the installed library: RAII over the handles, one round trip against the
// server named by WF_TRACE_SERVER_URL / WANDB_API_KEY: add a note to the call given as argv[1],
// read it back, purge it. Prints "round trip ok: N row(s)" on success.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include <weave_feedback.h>

namespace {

template <typename T, void (*Free)(T *)>
struct Deleter {
    void operator()(T *p) const { Free(p); }
};
using Client = std::unique_ptr<weave_client, Deleter<weave_client, weave_client_free>>;
using RefQuery = std::unique_ptr<weave_ref_feedback_query,
                                 Deleter<weave_ref_feedback_query, weave_ref_feedback_query_free>>;
using Rows = std::unique_ptr<weave_feedbacks, Deleter<weave_feedbacks, weave_feedbacks_free>>;

// Throws the library's message when a call failed. It takes the error's address, not its
// value: C++ does not order the evaluation of arguments, so `check(f(&err), err)` could read
// err before f wrote it.
void check(weave_status st, weave_error **err) {
    if (st == WEAVE_STATUS_OK) return;
    std::string msg = *err ? weave_error_message(*err) : weave_status_str(st);
    weave_error_free(*err);
    *err = nullptr;
    throw std::runtime_error(msg);
}

std::string take(char *s) {
    std::string out = s ? s : "";
    weave_string_free(s);
    return out;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    try {
        weave_error *err = nullptr;
        weave_client *c = nullptr;
        check(weave_client_new(nullptr, &c, &err), &err);
        Client client(c);
        weave_ref_feedback_query *q = nullptr;
        check(weave_ref_feedback_query_new(client.get(), argv[1], &q, &err), &err);
        RefQuery query(q);
        char *id = nullptr;
        check(weave_ref_feedback_query_add_note(query.get(), "from C++", nullptr, &id, &err), &err);
        std::string note = take(id);
        weave_feedbacks *r = nullptr;
        check(weave_ref_feedback_query_execute(query.get(), &r, &err), &err);
        Rows rows(r);
        size_t n = weave_feedbacks_len(rows.get());
        if (n != 1 || note != weave_feedback_id(weave_feedbacks_get(rows.get(), 0)))
            throw std::runtime_error("the note was not read back");
        check(weave_ref_feedback_query_purge(query.get(), note.c_str(), &err), &err);
        std::printf("round trip ok: %zu row(s)\n", n);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}
