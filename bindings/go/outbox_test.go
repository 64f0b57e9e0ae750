package weavefeedback

// The durable outbox, as tests/c/outbox.c checks it from C: adds queued while no server
// answers, a full outbox, a flush past its deadline, a second client on the same file
// delivering everything, a refused row kept as a dead letter, the counters, 401 keeping rows
// queued, and a client without an outbox.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// downURL is a loopback URL nobody listens on: a port the system just gave out and took back.
func downURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

func outboxClient(t *testing.T, url, key, path string, maxRows uint64) *Client {
	t.Helper()
	c, err := NewClient(WithBaseURL(url), WithAPIKey(key), WithRetryBaseDelay(time.Millisecond),
		WithOutbox(path), WithOutboxMaxRows(maxRows), WithOutboxLease(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// stored reads the rows on ref through c, by id (fails on a duplicate id).
func stored(t *testing.T, c *Client, ref string) map[string]Feedback {
	t.Helper()
	q := must(c.RefFeedbackQuery(ref))
	defer q.Close()
	return rowsByID(t, q)
}

// wantStatus fails the test unless err is an *Error with this status.
func wantStatus(t *testing.T, err error, status Status) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Status != status || e.Message == "" {
		t.Fatalf("want an *Error with status %v, got %v", status, err)
	}
	return e
}

func TestOutboxQueuesWhileDownThenFlushes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	ref := newRef(t, "outbox")

	// No server: adds succeed with their ids, until the outbox is full.
	offline := outboxClient(t, downURL(t), apiKey, path, 3)
	q := must(offline.RefFeedbackQuery(ref))
	defer q.Close()
	ids := []string{
		must(q.AddNote("kept")),
		must(q.AddReaction("👍", Creator("Dana"))),
		must(q.Add("helpfulness", map[string]any{"score": 4})),
	}
	_, err := q.AddNote("one too many")
	e := wantStatus(t, err, StatusOutboxFull)
	if !strings.Contains(e.Message, "outbox full") || StatusOutboxFull.String() != "outbox full" {
		t.Fatalf("outbox full error: %q / %q", e.Message, StatusOutboxFull)
	}
	if n := must(offline.OutboxPending()); n != 3 {
		t.Fatalf("pending %d, want 3", n)
	}
	pending, err := offline.Flush(200 * time.Millisecond)
	wantStatus(t, err, StatusTimeout)
	if pending != 3 {
		t.Fatalf("pending after a flush that timed out: %d, want 3", pending)
	}
	if got := must(offline.OutboxCounters()); got != (OutboxCounters{Queued: 3}) {
		t.Fatalf("offline counters %+v", got)
	}
	offline.Close()

	// The server is there for a new client of the same file: one flush delivers everything.
	online := outboxClient(t, baseURL, apiKey, path, 100)
	pending, err = online.Flush(60 * time.Second)
	if err != nil || pending != 0 {
		t.Fatalf("flush: %d pending, %v", pending, err)
	}
	rows := stored(t, online, ref)
	if len(rows) != 3 {
		t.Fatalf("%d rows on the ref, want 3", len(rows))
	}
	for _, id := range ids {
		if _, ok := rows[id]; !ok {
			t.Fatalf("id %s not stored; rows %v", id, rows)
		}
	}

	// A row the server refuses (two emoji): the add succeeds, then it is a dead letter.
	rq := must(online.RefFeedbackQuery(ref))
	defer rq.Close()
	refused := must(rq.AddReaction("👍👍"))
	if _, ok := stored(t, online, ref)[refused]; ok {
		t.Fatalf("refused row %s was stored", refused)
	}
	dead := must(online.DeadLetters())
	if len(dead) != 1 || dead[0].ID != refused || dead[0].HTTPStatus != 400 ||
		!strings.Contains(dead[0].Reason, "exactly one emoji") || dead[0].ProjectID != "go-tests/outbox" {
		t.Fatalf("dead letters %+v", dead)
	}
	if age := time.Since(dead[0].FailedAt()); age < 0 || age > time.Hour {
		t.Fatalf("failed at %v", dead[0].FailedAt())
	}
	var req map[string]any
	if err := json.Unmarshal(dead[0].Request, &req); err != nil || req["weave_ref"] != ref {
		t.Fatalf("request %s: %v", dead[0].Request, err)
	}
	// Retried: the offline client's tries had claimed the three rows before.
	if got := must(online.OutboxCounters()); got != (OutboxCounters{Queued: 1, Delivered: 3, Retried: 3, Dead: 1}) {
		t.Fatalf("online counters %+v", got)
	}
	_, err = online.PurgeDeadLetters("")
	wantStatus(t, err, StatusInvalidArgument)
	if n := must(online.PurgeDeadLetters(refused)); n != 1 {
		t.Fatalf("purged %d, want 1", n)
	}
	if dead := must(online.DeadLetters()); len(dead) != 0 {
		t.Fatalf("dead letters after the purge: %+v", dead)
	}
	if n := must(online.PurgeDeadLetters()); n != 0 {
		t.Fatalf("purged %d of none", n)
	}
}

func TestOutboxUnauthorizedKeepsRowsQueued(t *testing.T) {
	if apiKey == "" {
		t.Skip("the test server takes any key: WEAVE_TEST_API_KEY is not set")
	}
	path := filepath.Join(t.TempDir(), "outbox.db")
	ref := newRef(t, "outbox")
	offline := outboxClient(t, downURL(t), apiKey, path, 10)
	q := must(offline.RefFeedbackQuery(ref))
	id := must(q.AddNote("waits for a key"))
	q.Close()
	offline.Close()

	wrongKey := outboxClient(t, baseURL, "not-"+apiKey, path, 10)
	pending, err := wrongKey.Flush(60 * time.Second)
	e := wantStatus(t, err, StatusUnauthorized)
	if e.HTTPStatus != 401 || pending != 1 {
		t.Fatalf("unauthorized flush: HTTP %d, %d pending", e.HTTPStatus, pending)
	}
	if dead := must(wrongKey.DeadLetters()); len(dead) != 0 {
		t.Fatalf("a 401 made dead letters: %+v", dead)
	}

	online := outboxClient(t, baseURL, apiKey, path, 10)
	if pending, err := online.Flush(60 * time.Second); err != nil || pending != 0 {
		t.Fatalf("flush with the key: %d pending, %v", pending, err)
	}
	if _, ok := stored(t, online, ref)[id]; !ok {
		t.Fatalf("row %s not stored", id)
	}
}

func TestOutboxOptionsAndNoOutbox(t *testing.T) {
	_, err := NewClient(WithBaseURL(baseURL), WithOutbox(filepath.Join(t.TempDir(), "o.db")), WithOutboxMaxRows(0))
	wantStatus(t, err, StatusInvalidArgument)
	_, err = NewClient(WithBaseURL(baseURL), WithOutbox(filepath.Join(t.TempDir(), "o.db")), WithOutboxLease(0))
	wantStatus(t, err, StatusInvalidArgument)
	_, err = NewClient(WithOutbox("nul\x00byte"))
	wantStatus(t, err, StatusInvalidArgument)

	plain := newClient(t)
	defer plain.Close()
	if pending, err := plain.Flush(0); err != nil || pending != 0 {
		t.Fatalf("flush without an outbox: %d, %v", pending, err)
	}
	if dead := must(plain.DeadLetters()); dead == nil || len(dead) != 0 {
		t.Fatalf("dead letters without an outbox: %#v", dead)
	}
	if got := must(plain.OutboxCounters()); got != (OutboxCounters{}) {
		t.Fatalf("counters without an outbox: %+v", got)
	}
	plain.Close()
	_, err = plain.Flush(time.Second)
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("flush after Close: %v", err)
	}
}
