package weavefeedback

// Tests against the test server (tests/server/): run by tests/hosts/run.sh, or by hand with
// WEAVE_TEST_BASE_URL (and WEAVE_TEST_API_KEY when the server wants one) set:
//   go test -count=1 ./...

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var baseURL, apiKey string

func TestMain(m *testing.M) {
	baseURL = os.Getenv("WEAVE_TEST_BASE_URL")
	apiKey = os.Getenv("WEAVE_TEST_API_KEY")
	if baseURL == "" {
		fmt.Fprintln(os.Stderr, "WEAVE_TEST_BASE_URL is not set: start tests/server/start_server.sh (tests/hosts/run.sh does)")
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// newRef is a call ref no other test uses.
func newRef(t *testing.T, project string) string {
	t.Helper()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("weave:///go-tests/%s/call/%x-%x-%x-%x-%x", project, b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func newClient(t *testing.T, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(append([]Option{WithBaseURL(baseURL), WithAPIKey(apiKey)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// control posts to one of the server's /__test/ endpoints.
func control(t *testing.T, path, body string) []byte {
	t.Helper()
	resp, err := http.Post(baseURL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: HTTP %d %s", path, resp.StatusCode, out.String())
	}
	return out.Bytes()
}

// setFaults configures the server's faults until the test ends.
func setFaults(t *testing.T, faults string) {
	t.Helper()
	control(t, "/__test/reset", "{}")
	control(t, "/__test/faults", faults)
	t.Cleanup(func() { control(t, "/__test/reset", "{}") })
}

func requests(t *testing.T, route string) int {
	t.Helper()
	var stats struct {
		Requests map[string]int `json:"requests"`
	}
	if err := json.Unmarshal(control(t, "/__test/stats", "{}"), &stats); err != nil {
		t.Fatal(err)
	}
	return stats.Requests[route]
}

// must returns v, or panics (failing the test binary) on an unexpected error. Go cannot pass
// a two-result call along with t, hence no *testing.T here.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// rowsByID executes the query and returns its rows by id.
func rowsByID(t *testing.T, q *RefFeedbackQuery) map[string]Feedback {
	t.Helper()
	res := must(q.Execute())
	defer res.Close()
	rows := must(res.Rows())
	out := make(map[string]Feedback, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	if len(out) != len(rows) {
		t.Fatalf("duplicate ids in %v", rows)
	}
	return out
}

func payload(t *testing.T, f Feedback) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(f.Payload, &m); err != nil {
		t.Fatalf("payload %q: %v", f.Payload, err)
	}
	return m
}

func wantError(t *testing.T, err error, status Status, httpStatus int) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want an *Error with status %v, got %v", status, err)
	}
	if e.Status != status || e.HTTPStatus != httpStatus || e.Message == "" {
		t.Fatalf("want status %v (HTTP %d) with a message, got %+v", status, httpStatus, e)
	}
	return e
}

func TestVersion(t *testing.T) {
	if v := Version(); strings.Count(v, ".") != 2 || v != HeaderVersion() {
		t.Fatalf("library version %q, header version %q", v, HeaderVersion())
	}
	if StatusInvalidRef != 2 || StatusInvalidFeedback != 3 || StatusInternal != 12 {
		t.Fatal("status values differ from the C contract")
	}
	if StatusInvalidRef.String() != "invalid ref" {
		t.Fatalf("status text %q", StatusInvalidRef.String())
	}
}

func TestAddQueryPurge(t *testing.T) {
	client := newClient(t)
	defer client.Close()
	ref := newRef(t, "chatbot")
	q := must(client.RefFeedbackQuery(ref))
	defer q.Close()

	reaction := must(q.AddReaction("👍", Creator("Dana")))
	note := must(q.AddNote("Clear and correct answer."))
	score := must(q.Add("helpfulness", map[string]any{"score": 4}))
	if reaction == "" || note == "" || score == "" || reaction == note || note == score {
		t.Fatalf("ids %q %q %q", reaction, note, score)
	}

	rows := rowsByID(t, q)
	if len(rows) != 3 {
		t.Fatalf("want 3 rows, got %d: %v", len(rows), rows)
	}
	r, n, s := rows[reaction], rows[note], rows[score]
	if r.FeedbackType != "wandb.reaction.1" || payload(t, r)["emoji"] != "👍" || r.Creator != "Dana" {
		t.Errorf("reaction row %+v", r)
	}
	if n.FeedbackType != "wandb.note.1" || payload(t, n)["note"] != "Clear and correct answer." || n.Creator != "" {
		t.Errorf("note row %+v", n)
	}
	if s.FeedbackType != "helpfulness" || payload(t, s)["score"] != 4.0 || len(payload(t, s)) != 1 {
		t.Errorf("score row %+v", s)
	}
	for _, f := range []Feedback{r, n, s} {
		if f.WeaveRef != ref || f.ProjectID != "go-tests/chatbot" || f.CreatedAt.IsZero() ||
			time.Since(f.CreatedAt) > time.Hour || f.WBUserID == "" {
			t.Errorf("row %+v", f)
		}
	}

	res := must(q.Execute()) // cached: no request, same rows
	table := must(res.Table())
	if !strings.Contains(table, "helpfulness") || !strings.Contains(table, note) {
		t.Errorf("table:\n%s", table)
	}
	js := must(res.JSON())
	var arr []map[string]any
	if err := json.Unmarshal([]byte(js), &arr); err != nil || len(arr) != 3 {
		t.Errorf("json %s: %v", js, err)
	}
	if refs := must(q.Refs()); len(refs) != 1 || refs[0] != ref {
		t.Errorf("refs %v", refs)
	}
	res.Close()

	if err := q.Purge(note); err != nil {
		t.Fatal(err)
	}
	after := rowsByID(t, q)
	if len(after) != 2 {
		t.Fatalf("want 2 rows after the purge, got %v", after)
	}
	if _, ok := after[note]; ok {
		t.Error("the purged note is still there")
	}
	if _, ok := after[reaction]; !ok {
		t.Error("the reaction is gone")
	}
	if _, ok := after[score]; !ok {
		t.Error("the score is gone")
	}
	// The results of a closed query stay valid, and a closed query says so.
	res2 := must(q.Execute())
	q.Close()
	if res2.Len() != 2 || must(res2.Row(1)).ID == "" {
		t.Error("a result did not outlive its query")
	}
	res2.Close()
	if _, err := q.Execute(); !errors.Is(err, ErrClosed) {
		t.Errorf("execute on a closed query: %v", err)
	}
}

func TestErrors(t *testing.T) {
	client := newClient(t)
	defer client.Close()

	_, err := client.RefFeedbackQuery("not a ref")
	wantError(t, err, StatusInvalidRef, 0)
	if StatusOf(err) != StatusInvalidRef || !strings.Contains(err.Error(), "invalid ref") {
		t.Errorf("error text %q", err)
	}

	q := must(client.RefFeedbackQuery(newRef(t, "errors")))
	defer q.Close()
	_, err = q.AddNote("")
	wantError(t, err, StatusInvalidFeedback, 0)
	_, err = q.Add("wandb.custom", nil)
	wantError(t, err, StatusInvalidFeedback, 0)
	_, err = q.Add("helpfulness", json.RawMessage(`[1, 2]`))
	wantError(t, err, StatusInvalidArgument, 0)
	_, err = q.AddNote("cut\x00short") // would be silently truncated by C.CString
	wantError(t, err, StatusInvalidArgument, 0)
	_, err = client.FeedbackQuery("go-tests", "a/b", FeedbackQueryOptions{})
	wantError(t, err, StatusInvalidArgument, 0)

	if apiKey != "" { // the server wants a key: without one, 401
		anon := newClient(t, WithAPIKey(""))
		defer anon.Close()
		aq := must(anon.RefFeedbackQuery(newRef(t, "errors")))
		defer aq.Close()
		_, err = aq.Execute()
		wantError(t, err, StatusUnauthorized, 401)
	}
	if n := len(rowsByID(t, q)); n != 0 {
		t.Errorf("refused feedback was stored: %d rows", n)
	}
}

func TestRetryAfter503(t *testing.T) {
	setFaults(t, `{"fail_first": 1, "fail_status": 503, "routes": ["/feedback/create"]}`)
	client := newClient(t, WithRetryBaseDelay(10*time.Millisecond))
	defer client.Close()
	q := must(client.RefFeedbackQuery(newRef(t, "retry")))
	defer q.Close()

	id := must(q.AddReaction("🎉"))
	rows := rowsByID(t, q)
	if len(rows) != 1 || rows[id].FeedbackType != "wandb.reaction.1" {
		t.Fatalf("want exactly the one reaction, got %v", rows)
	}
	if n := requests(t, "/feedback/create"); n != 2 {
		t.Fatalf("want 2 create requests (503, then ok), got %d", n)
	}
}

func TestServerErrorAfterRetries(t *testing.T) {
	setFaults(t, `{"fail_first": 100, "fail_status": 503, "routes": ["/feedback/create"]}`)
	client := newClient(t, WithMaxRetries(1), WithRetryBaseDelay(time.Millisecond))
	defer client.Close()
	q := must(client.RefFeedbackQuery(newRef(t, "retry")))
	defer q.Close()

	_, err := q.AddNote("never stored")
	e := wantError(t, err, StatusServer, 503)
	if e.Attempts != 2 {
		t.Errorf("want 2 attempts, got %d", e.Attempts)
	}
	if len(e.FeedbackIDs) != 1 || len(e.FeedbackIDs[0]) != 36 {
		t.Errorf("want the note's id in the error, got %q", e.FeedbackIDs)
	}
	if n := len(rowsByID(t, q)); n != 0 {
		t.Errorf("want no rows, got %d", n)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	client := newClient(t)
	q := must(client.RefFeedbackQuery(newRef(t, "close")))
	for i := 0; i < 3; i++ {
		if err := client.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.RefFeedbackQuery(newRef(t, "close")); !errors.Is(err, ErrClosed) {
		t.Errorf("RefFeedback on a closed client: %v", err)
	}
	// A query outlives its client.
	must(q.AddNote("after the client closed"))
	q.Close()
	q.Close()
}

// gcLoop runs runtime.GC() in a loop until stop is called; stop returns the number of cycles.
func gcLoop() (stop func() int64) {
	var n atomic.Int64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			default:
				runtime.GC()
				n.Add(1)
			}
		}
	}()
	return func() int64 { close(done); <-finished; return n.Load() }
}

// useWithoutClose drops every handle without Close: only the finalizers free them, while
// another goroutine forces collections during the C calls.
func useWithoutClose(t *testing.T, ref string, rounds int) []string {
	client := newClient(t)
	var ids []string
	for i := 0; i < rounds; i++ {
		q := must(client.RefFeedbackQuery(ref))
		ids = append(ids, must(q.AddNote(fmt.Sprintf("note %d", i))))
		res := must(q.Execute())
		if res.Len() != i+1 {
			t.Fatalf("round %d: %d rows", i, res.Len())
		}
		table := must(res.Table())
		for j := 0; j < res.Len(); j++ {
			row := must(res.Row(j))
			if row.WeaveRef != ref || !strings.HasPrefix(string(row.Payload), `{"note":"note `) ||
				!strings.Contains(table, row.ID) {
				t.Fatalf("round %d row %d: %+v\n%s", i, j, row, table)
			}
		}
	}
	return ids
}

func TestGCWhileHandlesInUse(t *testing.T) {
	before := liveHandles.Load()
	stop := gcLoop()
	ref := newRef(t, "gc")
	ids := useWithoutClose(t, ref, 15)
	if cycles := stop(); cycles == 0 {
		t.Fatal("no GC cycle ran during the calls")
	}
	// The finalizers must free every handle left behind (bounded loop, no sleeping).
	for i := 0; i < 1000 && liveHandles.Load() > before; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if left := liveHandles.Load() - before; left > 0 {
		t.Errorf("%d handles not freed by their finalizers", left)
	}
	client := newClient(t)
	defer client.Close()
	q := must(client.RefFeedbackQuery(ref))
	defer q.Close()
	rows := rowsByID(t, q)
	for _, id := range ids {
		if _, ok := rows[id]; !ok {
			t.Errorf("note %s missing", id)
		}
	}
}

func TestGoroutinesShareOneClient(t *testing.T) {
	const workers, each = 8, 3
	stopGC := gcLoop()
	defer stopGC()
	client := newClient(t)
	defer client.Close()
	ref := newRef(t, "concurrent")
	shared := must(client.RefFeedbackQuery(ref)) // one query used by every goroutine too
	defer shared.Close()

	var wg sync.WaitGroup
	ids := make(chan string, workers*(each+1))
	errs := make(chan error, workers*(each+1))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			q, err := client.RefFeedbackQuery(ref)
			if err != nil {
				errs <- err
				return
			}
			defer q.Close()
			for i := 0; i < each; i++ {
				id, err := q.Add("helpfulness", map[string]any{"score": i, "worker": w})
				if err != nil {
					errs <- err
					continue
				}
				ids <- id
			}
			if id, err := shared.AddNote(fmt.Sprintf("from worker %d", w)); err != nil {
				errs <- err
			} else {
				ids <- id
			}
		}(w)
	}
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := map[string]bool{}
	for id := range ids {
		want[id] = true
	}
	if len(want) != workers*(each+1) {
		t.Fatalf("want %d distinct ids, got %d", workers*(each+1), len(want))
	}

	// One result read by every goroutine at once.
	res := must(shared.Refresh())
	defer res.Close()
	var wg2 sync.WaitGroup
	var seen sync.Map
	for w := 0; w < workers; w++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for i := 0; i < res.Len(); i++ {
				row, err := res.Row(i)
				if err != nil {
					t.Error(err)
					return
				}
				seen.Store(row.ID, true)
			}
		}()
	}
	wg2.Wait()
	if res.Len() != len(want) {
		t.Fatalf("want %d rows, got %d", len(want), res.Len())
	}
	for id := range want {
		if _, ok := seen.Load(id); !ok {
			t.Errorf("id %s not in the rows", id)
		}
	}
}

func TestReplaceAndBatch(t *testing.T) {
	client := newClient(t)
	defer client.Close()
	ref := newRef(t, "batch")
	q := must(client.RefFeedbackQuery(ref))
	defer q.Close()

	ids := must(q.AddBatch([]NewFeedback{
		{FeedbackType: "helpfulness", Payload: map[string]any{"score": 1}, Creator: "Dana"},
		{FeedbackType: "wandb.note.1", Payload: map[string]any{"note": "batched"}},
		{FeedbackType: "helpfulness", Payload: json.RawMessage(`{"score": 3}`), ID: "0192f3a4-5b6c-7d8e-9f01-000000000003"},
	}))
	if len(ids) != 3 || ids[2] != "0192f3a4-5b6c-7d8e-9f01-000000000003" {
		t.Fatalf("batch ids %v", ids)
	}
	rows := rowsByID(t, q)
	if len(rows) != 3 || rows[ids[0]].Creator != "Dana" || payload(t, rows[ids[1]])["note"] != "batched" {
		t.Fatalf("batch rows %v", rows)
	}
	var whole map[string]any
	if err := json.Unmarshal([]byte(rows[ids[0]].JSON), &whole); err != nil || whole["id"] != ids[0] {
		t.Errorf("row JSON %q: %v", rows[ids[0]].JSON, err)
	}

	newID := must(q.Replace(ids[0], "helpfulness", map[string]any{"score": 5}, Creator("Eve")))
	if newID != ids[0] {
		t.Fatalf("replace changed the id %s to %s", ids[0], newID)
	}
	rows = rowsByID(t, q)
	if r := rows[newID]; payload(t, r)["score"] != 5.0 || r.Creator != "Eve" || len(rows) != 3 {
		t.Fatalf("replacement %+v in %v", r, rows)
	}

	// One bad item fails the whole batch before anything is sent; nothing is stored.
	_, err := q.AddBatch([]NewFeedback{{FeedbackType: "helpfulness"}, {FeedbackType: "wandb.note.1", Payload: map[string]any{"note": ""}}})
	wantError(t, err, StatusInvalidFeedback, 0)
	if n := len(rowsByID(t, q)); n != 3 {
		t.Fatalf("a refused batch stored rows: %d", n)
	}
}

func TestBatchRefusedByTheServerNamesEveryID(t *testing.T) {
	setFaults(t, `{"fail_first": 100, "fail_status": 400, "routes": ["/feedback/batch/create"]}`)
	client := newClient(t)
	defer client.Close()
	q := must(client.RefFeedbackQuery(newRef(t, "batch")))
	defer q.Close()
	_, err := q.AddBatch([]NewFeedback{
		{FeedbackType: "helpfulness", ID: "0192f3a4-5b6c-7d8e-9f01-0000000000a1"},
		{FeedbackType: "helpfulness", ID: "0192f3a4-5b6c-7d8e-9f01-0000000000a2"},
	})
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusRejected || e.HTTPStatus != 400 {
		t.Fatalf("want a rejected batch, got %v", err)
	}
	if len(e.FeedbackIDs) != 2 || e.FeedbackIDs[1] != "0192f3a4-5b6c-7d8e-9f01-0000000000a2" {
		t.Fatalf("error ids %q", e.FeedbackIDs)
	}
}

func TestProjectQuery(t *testing.T) {
	client := newClient(t)
	defer client.Close()
	project := fmt.Sprintf("project-%d", time.Now().UnixNano())
	refA, refB := newRef(t, project), newRef(t, project)
	for _, ref := range []string{refA, refB} {
		q := must(client.RefFeedbackQuery(ref))
		must(q.AddNote("a note on " + ref))
		must(q.AddReaction("👍"))
		q.Close()
	}
	notes := must(client.FeedbackQuery("go-tests", project, FeedbackQueryOptions{
		Query:    `{"$expr": {"$eq": [{"$getField": "feedback_type"}, {"$literal": "wandb.note.1"}]}}`,
		ShowRefs: true,
	}))
	defer notes.Close()
	res := must(notes.Execute())
	defer res.Close()
	if res.Len() != 2 {
		t.Fatalf("want the 2 notes, got %d rows", res.Len())
	}
	if refs := must(notes.Refs()); len(refs) != 2 {
		t.Errorf("refs %v", refs)
	}
	if refs := must(res.Refs()); len(refs) != 2 {
		t.Errorf("result refs %v", refs)
	}
	if table := must(res.Table()); !strings.Contains(table, refA) {
		t.Errorf("ShowRefs table without the ref:\n%s", table)
	}
	limited := must(client.FeedbackQuery("go-tests", project, FeedbackQueryOptions{Limit: 3, Offset: 1}))
	defer limited.Close()
	if n := must(limited.Refresh()).Len(); n != 3 {
		t.Errorf("limit 3 offset 1 of 4 rows: %d", n)
	}
}

func TestClientOptions(t *testing.T) {
	// A key over plain http to a host that is not loopback is refused unless allowed.
	_, err := NewClient(WithBaseURL("http://weave.invalid"), WithAPIKey("k"))
	e := wantError(t, err, StatusInvalidArgument, 0)
	if !strings.Contains(e.Message, "http://") {
		t.Errorf("message %q", e.Message)
	}
	c := must(NewClient(WithBaseURL("http://weave.invalid"), WithAPIKey("k"), WithAllowInsecureHTTP(true),
		WithTimeout(time.Second), WithMaxRetries(0), WithRetryBaseDelay(time.Millisecond), WithDeadline(time.Second)))
	c.Close()
	_, err = NewClient(WithBaseURL("ftp://x"))
	wantError(t, err, StatusInvalidArgument, 0)
	_, err = NewClient(WithMaxResponseBytes(0))
	wantError(t, err, StatusInvalidArgument, 0)

	// An answer over the cap is a decode error; the same query with room succeeds.
	roomy := newClient(t, WithMaxResponseBytes(1<<20))
	defer roomy.Close()
	ref := newRef(t, "cap")
	rq := must(roomy.RefFeedbackQuery(ref))
	defer rq.Close()
	must(rq.AddNote("a note that makes the query's answer larger than sixty-four bytes"))
	if n := must(rq.Execute()).Len(); n != 1 {
		t.Errorf("want 1 row, got %d", n)
	}
	small := newClient(t, WithMaxResponseBytes(64))
	defer small.Close()
	sq := must(small.RefFeedbackQuery(ref))
	defer sq.Close()
	_, err = sq.Execute()
	if e := wantError(t, err, StatusDecode, 0); !strings.Contains(e.Message, "64") {
		t.Errorf("message without the cap: %q", e.Message)
	}

	// The deadline bounds the whole call: every attempt is delayed 1.5 s, the call gives up
	// after 300 ms with a timeout.
	setFaults(t, `{"delay_ms": 1500, "routes": ["/feedback/query"]}`)
	client := newClient(t, WithDeadline(300*time.Millisecond), WithMaxRetries(5))
	defer client.Close()
	q := must(client.RefFeedbackQuery(newRef(t, "deadline")))
	defer q.Close()
	start := time.Now()
	_, err = q.Execute()
	wantError(t, err, StatusTimeout, 0)
	if took := time.Since(start); took > 1200*time.Millisecond {
		t.Errorf("the deadline did not bound the call: %v", took)
	}
}
