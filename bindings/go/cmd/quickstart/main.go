// Quick start: feedback on a Weave call from Go, through the C API.
//
// Install the library first (`make install` at the repository root), then, in bindings/go:
//
//	WANDB_API_KEY=... go run ./cmd/quickstart [weave:///entity/project/call/<id>]
//
// The server and key come from the environment as in Weave's SDK (WF_TRACE_SERVER_URL,
// WANDB_API_KEY, ...). It adds a reaction, a note and a custom score to the call, prints the
// feedback as the SDK's table, then purges the note.
package main

import (
	"fmt"
	"os"
	"time"

	weavefeedback "weave-feedback/bindings/go"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	call := "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd"
	if len(os.Args) > 1 {
		call = os.Args[1]
	}

	client, err := weavefeedback.NewClient() // no options: NULL, the environment decides
	if err != nil {
		return err
	}
	defer client.Close()

	feedback, err := client.RefFeedbackQuery(call)
	if err != nil {
		return err
	}
	defer feedback.Close()

	if _, err := feedback.AddReaction("👍", weavefeedback.Creator("Dana")); err != nil {
		return err
	}
	noteID, err := feedback.AddNote("Clear and correct answer.")
	if err != nil {
		return err
	}
	if _, err := feedback.Add("helpfulness", map[string]any{"score": 4}); err != nil {
		return err
	}

	rows, err := feedback.Execute()
	if err != nil {
		return err
	}
	defer rows.Close()
	table, err := rows.Table()
	if err != nil {
		return err
	}
	fmt.Printf("%d feedback rows on %s:\n%s", rows.Len(), call, table)
	all, err := rows.Rows()
	if err != nil {
		return err
	}
	for _, f := range all {
		fmt.Printf("  %s %s %s\n", f.CreatedAt.Format(time.RFC3339Nano), f.FeedbackType, f.Payload)
	}

	// Purging clears the query's cache: the next Execute fetches again.
	if err := feedback.Purge(noteID); err != nil {
		return err
	}
	after, err := feedback.Execute()
	if err != nil {
		return err
	}
	defer after.Close()
	fmt.Printf("purged the note; %d rows remain\n", after.Len())
	return nil
}
