"""Quick start: feedback on a Weave call from Python, through the C API (ctypes).

Build the library first (`cargo build` at the repository root), then:
    LD_LIBRARY_PATH=target/debug WANDB_API_KEY=... python3 examples/python/quickstart.py [weave:///entity/project/call/<id>]
The server and key come from the environment as in Weave's SDK (WF_TRACE_SERVER_URL,
WANDB_API_KEY, ...). It adds a reaction, a note and a custom score to the call, prints the
feedback as the SDK's table, then purges the note.
"""

import sys

from weave_feedback import Client, WeaveError


def main() -> int:
    call = sys.argv[1] if len(sys.argv) > 1 else (
        "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd")
    try:
        with Client() as client, client.ref_feedback(call) as feedback:  # NULL options
            feedback.add_reaction("👍", creator="Dana")
            note_id = feedback.add_note("Clear and correct answer.")
            feedback.add("helpfulness", {"score": 4})

            with feedback.execute() as rows:
                print(f"{len(rows)} feedback rows on {call}:")
                print(rows.table(), end="")
                for f in rows:
                    print(f"  {f.created_at} {f.feedback_type} {f.payload_json}")

            # Purging clears the query's cache: the next execute fetches again.
            feedback.purge(note_id)
            with feedback.execute() as after:
                print(f"purged the note; {len(after)} rows remain")
    except WeaveError as e:
        print(f"{e.operation} failed: {e.message} ({e.status.name}, HTTP {e.http_status})",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
