package weavefeedback

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

// seedProject adds n helpfulness rows on one call of a new project and returns the project
// and the ids.
func seedProject(t *testing.T, client *Client, n int) (string, *RefFeedbackQuery, []string) {
	t.Helper()
	project := fmt.Sprintf("pages-%d", time.Now().UnixNano())
	q := must(client.RefFeedbackQuery(newRef(t, project)))
	t.Cleanup(func() { q.Close() })
	items := make([]NewFeedback, n)
	for i := range items {
		items[i] = NewFeedback{FeedbackType: "helpfulness", Payload: map[string]any{"score": i}}
	}
	ids := must(q.AddBatch(items))
	if len(ids) != n {
		t.Fatalf("batch of %d gave %d ids", n, len(ids))
	}
	return project, q, ids
}

// walk reads every page of cur (closing each), checking each page has 1 to pageSize rows and
// the rows come in (created_at, id) order; it returns the ids in the order seen. between
// runs after the first page.
func walk(t *testing.T, cur *Cursor, pageSize int, between func()) []string {
	t.Helper()
	var ids []string
	var last Feedback
	for pages := 0; ; pages++ {
		page, err := cur.Next()
		if err == io.EOF {
			return ids
		}
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		rows := must(page.Rows())
		page.Close()
		if len(rows) == 0 || len(rows) > pageSize {
			t.Fatalf("page %d has %d rows (page size %d)", pages, len(rows), pageSize)
		}
		for _, r := range rows {
			if len(ids) > 0 && (r.CreatedAt.Before(last.CreatedAt) || r.CreatedAt.Equal(last.CreatedAt) && r.ID <= last.ID) {
				t.Fatalf("row %s (%v) after %s (%v): not in (created_at, id) order", r.ID, r.CreatedAt, last.ID, last.CreatedAt)
			}
			ids = append(ids, r.ID)
			last = r
		}
		if pages == 0 && between != nil {
			between()
		}
	}
}

// sameIDs fails unless got holds each id of want exactly once and nothing else.
func sameIDs(t *testing.T, got, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("row %s seen %d times", id, seen[id])
		}
		delete(seen, id)
	}
	for id, n := range seen {
		t.Errorf("unexpected row %s seen %d times", id, n)
	}
	if len(got) != len(want) {
		t.Errorf("walked %d rows, want %d", len(got), len(want))
	}
}

// 23 rows in pages of 5 (five requests): every row exactly once, in order, even though a row
// of the first page is purged and a new row is added after it.
func TestPagesWalkEveryRowOnce(t *testing.T) {
	client := newClient(t)
	defer client.Close()
	project, ref, ids := seedProject(t, client, 23)
	q := must(client.FeedbackQuery("go-tests", project, FeedbackQueryOptions{}))
	defer q.Close()
	cur := must(q.Pages(5))
	defer cur.Close()
	before := requests(t, "/feedback/query")
	var added string
	seen := walk(t, cur, 5, func() {
		if err := ref.Purge(ids[0]); err != nil { // already seen: must not shift the rest
			t.Fatal(err)
		}
		added = must(ref.AddNote("added during the walk"))
	})
	sameIDs(t, seen, append(append([]string{}, ids...), added))
	if seen[len(seen)-1] != added {
		t.Errorf("the row added during the walk came at %v, not at the end", seen)
	}
	// 24 rows in pages of 5: four full pages, then a short one, which ends the walk.
	if n := requests(t, "/feedback/query") - before; n != 5 {
		t.Errorf("%d query requests for 24 rows in pages of 5, want 5", n)
	}
	if page, err := cur.Next(); err != io.EOF || page != nil {
		t.Errorf("Next after the end: %v, %v; want nil, io.EOF", page, err)
	}
}

func TestPagesOffsetLimitAndErrors(t *testing.T) {
	client := newClient(t, WithMaxRetries(0))
	defer client.Close()
	project, _, ids := seedProject(t, client, 12)
	all := must(client.FeedbackQuery("go-tests", project, FeedbackQueryOptions{}))
	defer all.Close()
	cur := must(all.Pages(12))
	inOrder := walk(t, cur, 12, nil)
	cur.Close()
	sameIDs(t, inOrder, ids)

	// Offset and Limit bound the whole walk, not each page.
	q := must(client.FeedbackQuery("go-tests", project, FeedbackQueryOptions{Offset: 2, Limit: 7}))
	defer q.Close()
	cur = must(q.Pages(3))
	if got := walk(t, cur, 3, nil); fmt.Sprint(got) != fmt.Sprint(inOrder[2:9]) {
		t.Errorf("offset 2, limit 7 walked %v, want %v", got, inOrder[2:9])
	}
	cur.Close()
	if _, err := cur.Next(); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close: %v", err)
	}
	if err := cur.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	_, err := q.Pages(0)
	wantError(t, err, StatusInvalidArgument, 0)

	// A failed page is an *Error; the walk is over after it.
	cur = must(all.Pages(4))
	defer cur.Close()
	must(cur.Next()).Close()
	setFaults(t, `{"fail_first": 100, "fail_status": 500, "routes": ["/feedback/query"]}`)
	_, err = cur.Next()
	wantError(t, err, StatusServer, 500)
	if _, err := cur.Next(); err != io.EOF {
		t.Errorf("Next after a failed page: %v, want io.EOF", err)
	}
}
