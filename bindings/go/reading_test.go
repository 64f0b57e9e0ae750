package weavefeedback

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// readingSeed adds, on call A of a new project: 👍 (Dana), a note, 👎, scores 3 and 10; on call
// B: 👍. It returns the project, the query on A and the ids in that order (B's 👍 last).
func readingSeed(t *testing.T, client *Client) (string, *RefFeedbackQuery, map[string]string) {
	t.Helper()
	project := fmt.Sprintf("reading-%d", time.Now().UnixNano())
	a := must(client.RefFeedbackQuery(newRef(t, project)))
	t.Cleanup(func() { a.Close() })
	b := must(client.RefFeedbackQuery(newRef(t, project)))
	defer b.Close()
	ids := map[string]string{
		"up":   must(a.AddReaction("👍", Creator("Dana"))),
		"note": must(a.AddNote("fine")),
		"down": must(a.AddReaction("👎")),
		"upB":  must(b.AddReaction("👍")),
		"s3":   must(a.Add("score", map[string]any{"score": 3})),
		"s10":  must(a.Add("score", map[string]any{"score": 10})),
	}
	return project, a, ids
}

func tableShowsRefs(t *testing.T, rows *Feedbacks) bool {
	t.Helper()
	defer rows.Close()
	return strings.HasPrefix(must(rows.Table()), "Ref ")
}

func TestGetFeedbackByID(t *testing.T) {
	client := newClient(t)
	defer client.Close()
	project, _, ids := readingSeed(t, client)

	row := must(client.GetFeedback("go-tests", project, ids["note"]))
	if row.ID != ids["note"] || string(row.Payload) != `{"note":"fine"}` {
		t.Fatalf("row %+v", row)
	}
	_, err := client.GetFeedback("go-tests", project, "0192f3a4-0000-7000-8000-000000000000")
	e := wantError(t, err, StatusNotFound, 0) // the server answered, with no row
	if !strings.HasPrefix(e.Message, "not found: no feedback with id 0192f3a4-") {
		t.Errorf("message %q", e.Message)
	}
	_, err = client.GetFeedback("go-tests", project, "")
	wantError(t, err, StatusInvalidArgument, 0)
	_, err = client.GetFeedback("go-tests", project, "id\x00")
	wantError(t, err, StatusInvalidArgument, 0)
}

func TestQueryAsCollectionAndSettings(t *testing.T) {
	client := newClient(t)
	defer client.Close()
	project, a, ids := readingSeed(t, client)
	q := must(client.FeedbackQuery("go-tests", project, FeedbackQueryOptions{Limit: 100, ShowRefs: true}))
	defer q.Close()

	// By reaction, then without it again.
	if err := q.SetReaction("👍"); err != nil {
		t.Fatal(err)
	}
	rows := must(q.Execute())
	if got := must(rows.Rows()); len(got) != 2 || got[0].ID != ids["up"] || got[1].ID != ids["upB"] {
		t.Fatalf("👍 rows: %v", got)
	}
	if !tableShowsRefs(t, rows) {
		t.Error("no Ref column")
	}
	if err := q.SetReaction(""); err != nil {
		t.Fatal(err)
	}

	// The query as a collection: one request serves Len and every Get.
	before := requests(t, "/feedback/query")
	if n := must(q.Len()); n != 6 {
		t.Fatalf("Len %d, want 6", n)
	}
	if r := must(q.Get(-1)); r.ID != ids["s10"] {
		t.Errorf("Get(-1) = %s, want the score 10", r.ID)
	}
	if r := must(q.Get(-6)); r.ID != ids["up"] {
		t.Errorf("Get(-6) = %s, want the first 👍", r.ID)
	}
	if r := must(q.Get(1)); r.ID != ids["note"] || r.FeedbackType != "wandb.note.1" {
		t.Errorf("Get(1) = %+v, want the note", r)
	}
	_, err := q.Get(6)
	if e := wantError(t, err, StatusInvalidArgument, 0); !strings.Contains(e.Message, "out of range for 6 rows") {
		t.Errorf("message %q", e.Message)
	}
	_, err = q.Get(-7)
	wantError(t, err, StatusInvalidArgument, 0)
	if n := requests(t, "/feedback/query") - before; n != 1 {
		t.Errorf("Len and Get made %d requests, want 1", n)
	}

	// Offset, limit and the Ref column after the query was made; each clears the cache.
	for _, err := range []error{q.SetOffset(4), q.SetLimit(-1), q.SetShowRefs(false)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	rows = must(q.Execute())
	if got := must(rows.Rows()); len(got) != 2 || got[0].ID != ids["s3"] || tableShowsRefs(t, rows) {
		t.Errorf("offset 4: %v", got)
	}
	if err := q.SetLimit(1); err != nil {
		t.Fatal(err)
	}
	if n := must(q.Len()); n != 1 {
		t.Errorf("offset 4 limit 1: %d rows", n)
	}
	if err := q.SetOffset(-1); err != nil {
		t.Fatal(err)
	}
	if err := q.SetLimit(-1); err != nil {
		t.Fatal(err)
	}

	// A ref query's offset, limit, Ref column, Len and Get.
	if err := a.SetOffset(1); err != nil {
		t.Fatal(err)
	}
	if err := a.SetLimit(1); err != nil {
		t.Fatal(err)
	}
	rows = must(a.Execute())
	if got := must(rows.Rows()); len(got) != 1 || got[0].ID != ids["note"] || tableShowsRefs(t, rows) {
		t.Errorf("ref query offset 1 limit 1: %v", got)
	}
	for _, err := range []error{a.SetOffset(-1), a.SetLimit(-1), a.SetShowRefs(true)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := must(a.Len()); n != 5 {
		t.Errorf("ref query Len %d, want 5", n)
	}
	if r := must(a.Get(-1)); r.ID != ids["s10"] {
		t.Errorf("ref query Get(-1) = %s", r.ID)
	}
	if !tableShowsRefs(t, must(a.Execute())) {
		t.Error("ref query: no Ref column after SetShowRefs(true)")
	}
	_, err = a.Get(5)
	wantError(t, err, StatusInvalidArgument, 0)

	a.Close()
	if _, err := a.Len(); !errors.Is(err, ErrClosed) {
		t.Errorf("Len on a closed query: %v", err)
	}
	if err := a.SetLimit(1); !errors.Is(err, ErrClosed) {
		t.Errorf("SetLimit on a closed query: %v", err)
	}
}

func TestSortByAndFields(t *testing.T) {
	client := newClient(t)
	defer client.Close()
	project, _, ids := readingSeed(t, client)
	q := must(client.FeedbackQuery("go-tests", project, FeedbackQueryOptions{}))
	defer q.Close()

	if err := q.SetSortBy([]SortBy{Desc("created_at")}); err != nil {
		t.Fatal(err)
	}
	if r := must(q.Get(0)); r.ID != ids["s10"] {
		t.Errorf("newest first: %s", r.ID)
	}
	_, err := q.Pages(10)
	if e := wantError(t, err, StatusInvalidArgument, 0); !strings.Contains(e.Message, "sort_by") {
		t.Errorf("message %q", e.Message)
	}
	err = q.SetSortBy([]SortBy{Asc("nope")})
	if e := wantError(t, err, StatusInvalidArgument, 0); !strings.Contains(e.Message, "Unknown field: nope") {
		t.Errorf("message %q", e.Message)
	}
	wantError(t, q.SetSortBy([]SortBy{{Field: "id", Direction: "ASC"}}), StatusInvalidArgument, 0)
	if r := must(q.Get(0)); r.ID != ids["s10"] { // a refused setting changed nothing
		t.Errorf("after a refused sort: %s", r.ID)
	}
	if err := q.SetSortBy([]SortBy{}); err != nil { // no order: every row, in any order
		t.Fatal(err)
	}
	if n := must(q.Len()); n != 6 {
		t.Errorf("no order: %d rows", n)
	}
	if err := q.SetSortBy(nil); err != nil { // the default again: created_at ascending
		t.Fatal(err)
	}
	if r := must(q.Get(0)); r.ID != ids["up"] {
		t.Errorf("default order: %s", r.ID)
	}
	cur := must(q.Pages(10))
	cur.Close()

	scores := must(client.FeedbackQuery("go-tests", project, FeedbackQueryOptions{
		Query: `{"$expr":{"$eq":[{"$getField":"feedback_type"},{"$literal":"score"}]}}`,
	}))
	defer scores.Close()
	if err := scores.SetFields([]string{"id", "payload.score"}); err != nil {
		t.Fatal(err)
	}
	projected := must(scores.FetchProjected())
	got, _ := json.Marshal(projected)
	want := fmt.Sprintf(`[{"id":"%s","payload.score":3},{"id":"%s","payload.score":10}]`, ids["s3"], ids["s10"])
	if string(got) != want {
		t.Errorf("projected\n got %s\nwant %s", got, want)
	}
	_, err = scores.Execute()
	if e := wantError(t, err, StatusInvalidArgument, 0); !strings.Contains(e.Message, "fetch_projected") {
		t.Errorf("message %q", e.Message)
	}
	_, err = scores.Len()
	wantError(t, err, StatusInvalidArgument, 0)
	wantError(t, scores.SetFields([]string{"nope"}), StatusInvalidArgument, 0)
	if err := scores.SetFields(nil); err != nil {
		t.Fatal(err)
	}
	if n := must(scores.Len()); n != 2 {
		t.Errorf("whole rows again: %d", n)
	}
	whole := must(scores.FetchProjected()) // without fields: whole rows, as JSON objects
	if len(whole) != 2 || string(whole[0]["feedback_type"]) != `"score"` {
		t.Errorf("whole rows as JSON: %v", whole)
	}
}
