// Package weavefeedback is the Go binding of weave-feedback's C library (libweave_feedback,
// header weave_feedback.h): reactions, notes and scores on W&B Weave calls and objects.
//
// It links the installed library through pkg-config (`#cgo pkg-config: weave-feedback`):
// install it first with `make install` at the repository root (see README.md).
//
// Memory: every type that owns a C handle (Client, RefFeedbackQuery, FeedbackQuery, Cursor,
// Feedbacks) has an idempotent Close; call it (usually with defer). A finalizer frees a handle that was
// never closed, but only as a backstop: it runs whenever the garbage collector gets to it.
// Everything else (Feedback rows, errors, ids, tables) is copied into Go memory at once.
//
// Errors: every failure is an *Error (use errors.As) carrying the C status, the HTTP status,
// the attempts made and, for a failed write, the feedback ids it used; ErrClosed after Close.
//
// Threads: a Client may be shared by any number of goroutines. Queries and Feedbacks may be
// shared too: calls on one query are serialised (the C library does that itself)
// and Close waits for calls in flight. Network calls (Add*, Replace, Purge, Execute, Refresh,
// Refs, GetFeedback, FetchProjected, Flush, and Len and Get on first use) block the calling goroutine;
// cgo gives the Go scheduler another thread meanwhile.
// There is no context.Context parameter: a C call cannot be cancelled once started. Bound
// calls with WithTimeout, WithDeadline and WithMaxRetries instead.
package weavefeedback

/*
#cgo pkg-config: weave-feedback
#include <stdlib.h>
#include <weave_feedback.h>
*/
import "C"

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Status is the C API's weave_status. The values are fixed by the C contract.
type Status int

// The statuses of the C API (tests/bindings/check_against_header.py checks them against the header).
const (
	StatusOK              Status = 0
	StatusInvalidArgument Status = 1
	StatusInvalidRef      Status = 2
	StatusInvalidFeedback Status = 3
	StatusUnauthorized    Status = 4
	StatusNotFound        Status = 5
	StatusRejected        Status = 6
	StatusRateLimited     Status = 7
	StatusServer          Status = 8
	StatusTransport       Status = 9
	StatusTimeout         Status = 10
	StatusDecode          Status = 11
	StatusInternal        Status = 12
	StatusOutboxFull      Status = 13
)

// String is the library's description of the status ("invalid ref", ...).
func (s Status) String() string {
	return C.GoString(C.weave_status_str(C.enum_weave_status(s)))
}

// Error is a failed call, copied out of the C weave_error (which is freed at once).
type Error struct {
	Op         string // the C function that failed
	Status     Status
	Message    string // the library's message; it already names the status and HTTP status
	HTTPStatus int    // 0 when there was no HTTP response
	Attempts   int    // HTTP attempts, for errors out of the retry loop; else 0
	// FeedbackIDs are the ids a failed add, replace or batch used (batch item order). After
	// StatusServer, StatusTransport, StatusTimeout, StatusRateLimited or StatusDecode those
	// rows may have been stored: look them up before adding the same feedback again.
	FeedbackIDs []string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "weavefeedback: %s: %s", e.Op, e.Message)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (%d attempts)", e.Attempts)
	}
	return b.String()
}

// StatusOf returns the Status of err when it is (or wraps) an *Error, StatusOK for nil, and
// StatusInternal for any other error.
func StatusOf(err error) Status {
	if err == nil {
		return StatusOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return StatusInternal
}

// ErrClosed is returned by methods called after Close.
var ErrClosed = errors.New("weavefeedback: use of a closed handle")

// Version is the C library's version, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.weave_feedback_version()) }

// HeaderVersion is the version of the weave_feedback.h this package was compiled against.
func HeaderVersion() string { return C.WEAVE_FEEDBACK_VERSION }

// errorFrom turns a status and its C error into a Go error, copying everything and freeing
// the C error. It returns nil for StatusOK.
func errorFrom(op string, st C.enum_weave_status, cerr *C.weave_error) error {
	defer C.weave_error_free(cerr) // NULL on success; freeing NULL does nothing
	if st == C.WEAVE_STATUS_OK {
		return nil
	}
	e := &Error{Op: op, Status: Status(st), Message: Status(st).String()}
	if cerr != nil {
		e.Status = Status(C.weave_error_status(cerr))
		e.Message = C.GoString(C.weave_error_message(cerr))
		e.HTTPStatus = int(C.weave_error_http_status(cerr))
		e.Attempts = int(C.weave_error_attempts(cerr))
		n := int(C.weave_error_feedback_id_count(cerr))
		for i := 0; i < n; i++ {
			e.FeedbackIDs = append(e.FeedbackIDs, borrowed(C.weave_error_feedback_id_at(cerr, C.size_t(i))))
		}
		if n == 0 && C.weave_error_feedback_id(cerr) != nil { // the same id, by the older call
			e.FeedbackIDs = []string{borrowed(C.weave_error_feedback_id(cerr))}
		}
	}
	return e
}

// check runs one C call that takes an error out-parameter and converts its result.
func check(op string, fn func(e **C.weave_error) C.enum_weave_status) error {
	var cerr *C.weave_error
	st := fn(&cerr)
	return errorFrom(op, st, cerr)
}

// takeString copies an owned C string into Go and frees it with weave_string_free.
func takeString(s *C.char) string {
	if s == nil {
		return ""
	}
	defer C.weave_string_free(s)
	return C.GoString(s)
}

// borrowed copies a borrowed C string ("" for NULL).
func borrowed(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

// takeRefs copies a weave_refs into a slice and frees it.
func takeRefs(r *C.weave_refs) []string {
	defer C.weave_refs_free(r)
	out := make([]string, int(C.weave_refs_len(r)))
	for i := range out {
		out[i] = borrowed(C.weave_refs_get(r, C.size_t(i)))
	}
	return out
}

// cstrs collects the C copies of Go strings made for one call; free releases them all.
type cstrs []unsafe.Pointer

// add copies s to C memory. A NUL byte would silently cut the string short in C, so it is
// refused here.
func (c *cstrs) add(s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, &Error{Op: "weavefeedback", Status: StatusInvalidArgument,
			Message: "invalid argument: string contains a NUL byte"}
	}
	p := C.CString(s)
	*c = append(*c, unsafe.Pointer(p))
	return p, nil
}

// opt is add for an optional argument: "" gives NULL.
func (c *cstrs) opt(s string) (*C.char, error) {
	if s == "" {
		return nil, nil
	}
	return c.add(s)
}

// all copies every string (NULL for "" where optional[i]); the first refusal wins.
func (c *cstrs) all(strs []string, optional []bool) ([]*C.char, error) {
	out := make([]*C.char, len(strs))
	for i, s := range strs {
		var err error
		if optional[i] {
			out[i], err = c.opt(s)
		} else {
			out[i], err = c.add(s)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c cstrs) free() {
	for _, p := range c {
		C.free(p)
	}
}

// ---------------------------------------------------------------------------- handles

// liveHandles counts C handles not yet freed (tests check that finalizers free them).
var liveHandles atomic.Int64

// handle owns one C handle: the lock, the closed check, the call and its error, in one place.
// Queries lock exclusively (the C library serialises them anyway); clients and results take
// a read lock (they may be used by many threads at once). Close takes the write lock, so it
// waits for calls in flight.
type handle[T any] struct {
	mu        sync.RWMutex
	ptr       *T
	free      func(*T)
	exclusive bool
}

func (h *handle[T]) init(ptr *T, free func(*T), exclusive bool) {
	h.ptr, h.free, h.exclusive = ptr, free, exclusive
	liveHandles.Add(1)
}

// use runs fn with the live pointer under the handle's lock; ErrClosed after release.
func (h *handle[T]) use(fn func(p *T) error) error {
	if h.exclusive {
		h.mu.Lock()
		defer h.mu.Unlock()
	} else {
		h.mu.RLock()
		defer h.mu.RUnlock()
	}
	if h.ptr == nil {
		return ErrClosed
	}
	err := fn(h.ptr)
	// The owner (and with it its finalizer) must stay alive until the C call has returned.
	runtime.KeepAlive(h)
	return err
}

// call is use for a C function with a status and an error out-parameter: the shape of every
// fallible call of the binding.
func (h *handle[T]) call(op string, fn func(p *T, e **C.weave_error) C.enum_weave_status) error {
	return h.use(func(p *T) error {
		return check(op, func(e **C.weave_error) C.enum_weave_status { return fn(p, e) })
	})
}

// release frees the C handle once (Close and the finalizer both end here).
func (h *handle[T]) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ptr != nil {
		h.free(h.ptr)
		h.ptr = nil
		liveHandles.Add(-1)
	}
}

// ---------------------------------------------------------------------------- client

// Option changes one setting of NewClient.
type Option func(o *C.weave_client_options, cs *cstrs) error

// WithBaseURL sets the trace server URL (default: WF_TRACE_SERVER_URL, or the hosted one).
func WithBaseURL(url string) Option {
	return func(o *C.weave_client_options, cs *cstrs) error {
		p, err := cs.add(url)
		if err != nil {
			return err
		}
		return check("weave_client_options_set_base_url", func(e **C.weave_error) C.enum_weave_status {
			return C.weave_client_options_set_base_url(o, p, e)
		})
	}
}

// WithAPIKey sets the W&B API key (default: WANDB_API_KEY); "" means no key.
func WithAPIKey(key string) Option {
	return func(o *C.weave_client_options, cs *cstrs) error {
		p, err := cs.add(key)
		if err != nil {
			return err
		}
		return check("weave_client_options_set_api_key", func(e **C.weave_error) C.enum_weave_status {
			return C.weave_client_options_set_api_key(o, p, e)
		})
	}
}

// WithTimeout bounds one HTTP attempt (default 30 s).
func WithTimeout(d time.Duration) Option {
	return func(o *C.weave_client_options, _ *cstrs) error {
		return check("weave_client_options_set_timeout_ms", func(e **C.weave_error) C.enum_weave_status {
			return C.weave_client_options_set_timeout_ms(o, millis(d), e)
		})
	}
}

// WithDeadline bounds a whole call, retries and backoff included (default: none; 0 = none).
func WithDeadline(d time.Duration) Option {
	return func(o *C.weave_client_options, _ *cstrs) error {
		return check("weave_client_options_set_deadline_ms", func(e **C.weave_error) C.enum_weave_status {
			return C.weave_client_options_set_deadline_ms(o, millis(d), e)
		})
	}
}

// WithMaxRetries sets how many times a failed attempt is retried (default 2).
func WithMaxRetries(n uint32) Option {
	return func(o *C.weave_client_options, _ *cstrs) error {
		return check("weave_client_options_set_max_retries", func(e **C.weave_error) C.enum_weave_status {
			return C.weave_client_options_set_max_retries(o, C.uint32_t(n), e)
		})
	}
}

// WithRetryBaseDelay sets the first backoff step between retries (default 500 ms).
func WithRetryBaseDelay(d time.Duration) Option {
	return func(o *C.weave_client_options, _ *cstrs) error {
		return check("weave_client_options_set_retry_base_delay_ms", func(e **C.weave_error) C.enum_weave_status {
			return C.weave_client_options_set_retry_base_delay_ms(o, millis(d), e)
		})
	}
}

// WithMaxResponseBytes caps the size of one answer from the server, after decompression
// (default 64 MiB). A larger answer fails with StatusDecode; page with Limit and Offset.
// 0 gives StatusInvalidArgument.
func WithMaxResponseBytes(n uint64) Option {
	return func(o *C.weave_client_options, _ *cstrs) error {
		return check("weave_client_options_set_max_response_bytes", func(e **C.weave_error) C.enum_weave_status {
			return C.weave_client_options_set_max_response_bytes(o, C.uint64_t(n), e)
		})
	}
}

// WithAllowInsecureHTTP allows sending the API key over plain http:// to a host that is not
// loopback (refused by default).
func WithAllowInsecureHTTP(allow bool) Option {
	return func(o *C.weave_client_options, _ *cstrs) error {
		return check("weave_client_options_set_allow_insecure_http", func(e **C.weave_error) C.enum_weave_status {
			return C.weave_client_options_set_allow_insecure_http(o, C.bool(allow), e)
		})
	}
}

func millis(d time.Duration) C.uint64_t {
	if d <= 0 {
		return 0
	}
	if d < time.Millisecond {
		return 1
	}
	return C.uint64_t(d / time.Millisecond)
}

// Client is a connection to a Weave trace server. Safe for concurrent use.
type Client struct {
	h handle[C.weave_client]
}

// NewClient builds a client. Without options the C library reads its configuration from the
// environment (WF_TRACE_SERVER_URL, WANDB_API_KEY, ...): it is given NULL options. Options
// change those defaults.
func NewClient(opts ...Option) (*Client, error) {
	var copts *C.weave_client_options // NULL: defaults from the environment
	if len(opts) > 0 {
		copts = C.weave_client_options_new()
		if copts == nil {
			return nil, &Error{Op: "weave_client_options_new", Status: StatusInternal, Message: "internal error: no options"}
		}
		// weave_client_new copies the options: they are ours to free.
		defer C.weave_client_options_free(copts)
		var cs cstrs
		defer cs.free()
		for _, opt := range opts {
			if err := opt(copts, &cs); err != nil {
				return nil, err
			}
		}
	}
	var ptr *C.weave_client
	if err := check("weave_client_new", func(e **C.weave_error) C.enum_weave_status {
		return C.weave_client_new(copts, &ptr, e)
	}); err != nil {
		return nil, err
	}
	c := &Client{}
	c.h.init(ptr, func(p *C.weave_client) { C.weave_client_free(p) }, false)
	runtime.SetFinalizer(c, func(c *Client) { c.h.release() })
	return c, nil
}

// Close frees the client, after any call in flight on it. Idempotent. Queries made from the
// client stay usable.
func (c *Client) Close() error {
	runtime.SetFinalizer(c, nil)
	c.h.release()
	return nil
}

// RefFeedbackQuery is the feedback on one ref (weave:///entity/project/call/<id>, an object
// version, ...); nothing is fetched yet. A string that is not a ref gives StatusInvalidRef.
func (c *Client) RefFeedbackQuery(ref string) (*RefFeedbackQuery, error) {
	var cs cstrs
	defer cs.free()
	cref, err := cs.add(ref)
	if err != nil {
		return nil, err
	}
	var ptr *C.weave_ref_feedback_query
	if err := c.h.call("weave_ref_feedback_query_new", func(p *C.weave_client, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_new(p, cref, &ptr, e)
	}); err != nil {
		return nil, err
	}
	q := &RefFeedbackQuery{ref: ref}
	q.h.init(ptr, func(p *C.weave_ref_feedback_query) { C.weave_ref_feedback_query_free(p) }, true)
	runtime.SetFinalizer(q, func(q *RefFeedbackQuery) { q.h.release() })
	return q, nil
}

// FeedbackQueryOptions selects a project's feedback for Client.FeedbackQuery.
type FeedbackQueryOptions struct {
	Query    string // optional: a Query object as JSON, {"$expr": ...}; "" means every row
	Offset   int64  // 0: from the first row
	Limit    int64  // 0 or negative: no limit
	ShowRefs bool   // adds the Ref column to Feedbacks.Table
}

// FeedbackQuery is the feedback of a whole project; nothing is fetched yet.
func (c *Client) FeedbackQuery(entity, project string, o FeedbackQueryOptions) (*FeedbackQuery, error) {
	var cs cstrs
	defer cs.free()
	args, err := cs.all([]string{entity, project, o.Query}, []bool{false, false, true})
	if err != nil {
		return nil, err
	}
	limit := o.Limit
	if limit <= 0 {
		limit = -1 // not set
	}
	var ptr *C.weave_feedback_query
	if err := c.h.call("weave_feedback_query_new", func(p *C.weave_client, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedback_query_new(p, args[0], args[1], args[2], C.int64_t(o.Offset),
			C.int64_t(limit), C.bool(o.ShowRefs), &ptr, e)
	}); err != nil {
		return nil, err
	}
	q := &FeedbackQuery{}
	q.h.init(ptr, func(p *C.weave_feedback_query) { C.weave_feedback_query_free(p) }, true)
	runtime.SetFinalizer(q, func(q *FeedbackQuery) { q.h.release() })
	return q, nil
}

// ---------------------------------------------------------------------------- ref feedback

// RefFeedbackQuery is the feedback on one ref: add, replace, purge, query. Safe for concurrent
// use (calls on one query are serialised, as in the C library).
type RefFeedbackQuery struct {
	h   handle[C.weave_ref_feedback_query]
	ref string
}

// Ref is the ref this query is about.
func (q *RefFeedbackQuery) Ref() string { return q.ref }

// Close frees the query (after a call in flight). Idempotent. Feedbacks it returned stay valid.
func (q *RefFeedbackQuery) Close() error {
	runtime.SetFinalizer(q, nil)
	q.h.release()
	return nil
}

// AddOption sets an optional field of an added feedback.
type AddOption func(*NewFeedback)

// Creator sets the feedback's creator (a display name).
func Creator(name string) AddOption { return func(f *NewFeedback) { f.Creator = name } }

// AnnotationRef sets the annotation spec's ref (for wandb.annotation.* types).
func AnnotationRef(ref string) AddOption { return func(f *NewFeedback) { f.AnnotationRef = ref } }

// NewFeedback is one item of AddBatch.
type NewFeedback struct {
	FeedbackType  string `json:"feedback_type"`
	Payload       any    `json:"payload,omitempty"`        // a JSON object; json.RawMessage is sent as is; nil means {}
	Creator       string `json:"creator,omitempty"`        // "" means none
	AnnotationRef string `json:"annotation_ref,omitempty"` // "" means none
	ID            string `json:"id,omitempty"`             // "" means a new UUIDv7
}

// payloadJSON marshals a payload to JSON text ("" for nil: the C API's NULL, i.e. {}).
func payloadJSON(payload any) (string, error) {
	if payload == nil {
		return "", nil
	}
	if raw, ok := payload.(json.RawMessage); ok {
		return string(raw), nil
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return "", &Error{Op: "weavefeedback", Status: StatusInvalidArgument, Message: "invalid argument: " + err.Error()}
	}
	return string(raw), nil
}

// added runs an add-like call that returns an owned id.
func (q *RefFeedbackQuery) added(op string, fn func(p *C.weave_ref_feedback_query, id **C.char, e **C.weave_error) C.enum_weave_status) (string, error) {
	var id *C.char
	if err := q.h.call(op, func(p *C.weave_ref_feedback_query, e **C.weave_error) C.enum_weave_status {
		return fn(p, &id, e)
	}); err != nil {
		return "", err
	}
	return takeString(id), nil
}

// typed prepares the arguments shared by Add and Replace: type, payload, creator, annotation.
func typed(cs *cstrs, feedbackType string, payload any, opts []AddOption) ([]*C.char, error) {
	f := NewFeedback{FeedbackType: feedbackType}
	for _, o := range opts {
		o(&f)
	}
	p, err := payloadJSON(payload)
	if err != nil {
		return nil, err
	}
	return cs.all([]string{f.FeedbackType, p, f.Creator, f.AnnotationRef}, []bool{false, true, true, true})
}

// Add adds feedback of a custom type ("helpfulness") or wandb.annotation.<name>. payload is
// marshalled to a JSON object (json.RawMessage is sent as is; nil means {}). Returns the new
// row's id.
func (q *RefFeedbackQuery) Add(feedbackType string, payload any, opts ...AddOption) (string, error) {
	var cs cstrs
	defer cs.free()
	a, err := typed(&cs, feedbackType, payload, opts)
	if err != nil {
		return "", err
	}
	return q.added("weave_ref_feedback_query_add", func(p *C.weave_ref_feedback_query, id **C.char, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_add(p, a[0], a[1], a[2], a[3], id, e)
	})
}

// AddNote adds a note (wandb.note.1), 1 to 1024 characters. Returns the new row's id.
func (q *RefFeedbackQuery) AddNote(note string, opts ...AddOption) (string, error) {
	return q.addText("weave_ref_feedback_query_add_note", note, opts, func(p *C.weave_ref_feedback_query, t, c *C.char, id **C.char, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_add_note(p, t, c, id, e)
	})
}

// AddReaction adds an emoji reaction (wandb.reaction.1), exactly one emoji. Returns the id.
func (q *RefFeedbackQuery) AddReaction(emoji string, opts ...AddOption) (string, error) {
	return q.addText("weave_ref_feedback_query_add_reaction", emoji, opts, func(p *C.weave_ref_feedback_query, t, c *C.char, id **C.char, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_add_reaction(p, t, c, id, e)
	})
}

func (q *RefFeedbackQuery) addText(op, text string, opts []AddOption,
	fn func(p *C.weave_ref_feedback_query, text, creator *C.char, id **C.char, e **C.weave_error) C.enum_weave_status) (string, error) {
	f := NewFeedback{}
	for _, o := range opts {
		o(&f)
	}
	var cs cstrs
	defer cs.free()
	a, err := cs.all([]string{text, f.Creator}, []bool{false, true})
	if err != nil {
		return "", err
	}
	return q.added(op, func(p *C.weave_ref_feedback_query, id **C.char, e **C.weave_error) C.enum_weave_status {
		return fn(p, a[0], a[1], id, e)
	})
}

// AddBatch adds many rows in one request. Every item is checked before anything is sent;
// when the server refuses the batch nothing of it stays stored. Returns the new ids in item
// order. On failure the *Error's FeedbackIDs are the items' ids.
func (q *RefFeedbackQuery) AddBatch(items []NewFeedback) ([]string, error) {
	wire := make([]NewFeedback, len(items))
	for i, it := range items {
		p, err := payloadJSON(it.Payload)
		if err != nil {
			return nil, err
		}
		wire[i] = it
		if p != "" {
			wire[i].Payload = json.RawMessage(p)
		}
	}
	raw, err := json.Marshal(wire)
	if err != nil {
		return nil, &Error{Op: "weavefeedback", Status: StatusInvalidArgument, Message: "invalid argument: " + err.Error()}
	}
	var cs cstrs
	defer cs.free()
	citems, err := cs.add(string(raw))
	if err != nil {
		return nil, err
	}
	var out *C.weave_refs
	if err := q.h.call("weave_ref_feedback_query_add_batch", func(p *C.weave_ref_feedback_query, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_add_batch(p, citems, &out, e)
	}); err != nil {
		return nil, err
	}
	return takeRefs(out), nil
}

// Replace replaces the content of the row with this id, keeping the id (returned). The old
// content is never lost: when the server refuses the new content, it is kept or written back
// (the error's message says so).
func (q *RefFeedbackQuery) Replace(id, feedbackType string, payload any, opts ...AddOption) (string, error) {
	var cs cstrs
	defer cs.free()
	cid, err := cs.add(id)
	if err != nil {
		return "", err
	}
	a, err := typed(&cs, feedbackType, payload, opts)
	if err != nil {
		return "", err
	}
	return q.added("weave_ref_feedback_query_replace", func(p *C.weave_ref_feedback_query, out **C.char, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_replace(p, cid, a[0], a[1], a[2], a[3], out, e)
	})
}

// Purge deletes the row with this id anywhere in the ref's project (as the Python SDK does).
func (q *RefFeedbackQuery) Purge(id string) error {
	var cs cstrs
	defer cs.free()
	cid, err := cs.add(id)
	if err != nil {
		return err
	}
	return q.h.call("weave_ref_feedback_query_purge", func(p *C.weave_ref_feedback_query, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_purge(p, cid, e)
	})
}

// Execute returns the rows on the ref, fetched on the first call (and after any change),
// else from the cache. Close the result when done.
func (q *RefFeedbackQuery) Execute() (*Feedbacks, error) {
	return fetch(&q.h, "weave_ref_feedback_query_execute", func(p *C.weave_ref_feedback_query, out **C.weave_feedbacks, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_execute(p, out, e)
	})
}

// Refresh fetches the rows now and makes them the cached result.
func (q *RefFeedbackQuery) Refresh() (*Feedbacks, error) {
	return fetch(&q.h, "weave_ref_feedback_query_refresh", func(p *C.weave_ref_feedback_query, out **C.weave_feedbacks, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_refresh(p, out, e)
	})
}

// Refs returns the distinct refs of the rows.
func (q *RefFeedbackQuery) Refs() ([]string, error) {
	return refs(&q.h, "weave_ref_feedback_query_refs", func(p *C.weave_ref_feedback_query, out **C.weave_refs, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_refs(p, out, e)
	})
}

func fetch[T any](h *handle[T], op string, fn func(p *T, out **C.weave_feedbacks, e **C.weave_error) C.enum_weave_status) (*Feedbacks, error) {
	var out *C.weave_feedbacks
	if err := h.call(op, func(p *T, e **C.weave_error) C.enum_weave_status { return fn(p, &out, e) }); err != nil {
		return nil, err
	}
	return newFeedbacks(out), nil
}

func refs[T any](h *handle[T], op string, fn func(p *T, out **C.weave_refs, e **C.weave_error) C.enum_weave_status) ([]string, error) {
	var out *C.weave_refs
	if err := h.call(op, func(p *T, e **C.weave_error) C.enum_weave_status { return fn(p, &out, e) }); err != nil {
		return nil, err
	}
	return takeRefs(out), nil
}

// ---------------------------------------------------------------------------- project feedback

// FeedbackQuery is a project's feedback, fetched lazily. Safe for concurrent use.
type FeedbackQuery struct {
	h handle[C.weave_feedback_query]
}

// Close frees the query. Idempotent.
func (q *FeedbackQuery) Close() error {
	runtime.SetFinalizer(q, nil)
	q.h.release()
	return nil
}

// Execute returns the rows (cached after the first fetch). Close the result when done.
func (q *FeedbackQuery) Execute() (*Feedbacks, error) {
	return fetch(&q.h, "weave_feedback_query_execute", func(p *C.weave_feedback_query, out **C.weave_feedbacks, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedback_query_execute(p, out, e)
	})
}

// Refresh fetches the rows now and makes them the cached result.
func (q *FeedbackQuery) Refresh() (*Feedbacks, error) {
	return fetch(&q.h, "weave_feedback_query_refresh", func(p *C.weave_feedback_query, out **C.weave_feedbacks, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedback_query_refresh(p, out, e)
	})
}

// Refs returns the distinct refs of the rows.
func (q *FeedbackQuery) Refs() ([]string, error) {
	return refs(&q.h, "weave_feedback_query_refs", func(p *C.weave_feedback_query, out **C.weave_refs, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedback_query_refs(p, out, e)
	})
}

// ---------------------------------------------------------------------------- results

// Feedback is one row, copied into Go memory.
type Feedback struct {
	ID, ProjectID, WeaveRef, FeedbackType string
	Payload                               json.RawMessage
	CreatedAt                             time.Time
	// "" when absent:
	Creator, WBUserID, AnnotationRef, RunnableRef, CallRef, TriggerRef, QueueID string
	// JSON is the whole row as the library writes it (wire key names).
	JSON string
}

// Feedbacks is a result: immutable rows, readable from any number of goroutines. Close it
// when done (idempotent); rows returned by Row/Rows stay valid after Close.
type Feedbacks struct {
	h handle[C.weave_feedbacks]
	n int
}

func newFeedbacks(ptr *C.weave_feedbacks) *Feedbacks {
	f := &Feedbacks{n: int(C.weave_feedbacks_len(ptr))}
	f.h.init(ptr, func(p *C.weave_feedbacks) { C.weave_feedbacks_free(p) }, false)
	runtime.SetFinalizer(f, func(f *Feedbacks) { f.h.release() })
	return f
}

// Close frees the rows. Idempotent.
func (f *Feedbacks) Close() error {
	runtime.SetFinalizer(f, nil)
	f.h.release()
	return nil
}

// Len is the number of rows.
func (f *Feedbacks) Len() int { return f.n }

// Row copies row i (0 <= i < Len()).
func (f *Feedbacks) Row(i int) (Feedback, error) {
	if i < 0 || i >= f.n {
		return Feedback{}, &Error{Op: "weave_feedbacks_get", Status: StatusInvalidArgument,
			Message: fmt.Sprintf("invalid argument: row %d of %d", i, f.n)}
	}
	var out Feedback
	err := f.h.use(func(p *C.weave_feedbacks) error {
		row := C.weave_feedbacks_get(p, C.size_t(i)) // borrowed from p
		out = Feedback{
			ID:            borrowed(C.weave_feedback_id(row)),
			ProjectID:     borrowed(C.weave_feedback_project_id(row)),
			WeaveRef:      borrowed(C.weave_feedback_weave_ref(row)),
			FeedbackType:  borrowed(C.weave_feedback_feedback_type(row)),
			Payload:       json.RawMessage(borrowed(C.weave_feedback_payload_json(row))),
			Creator:       borrowed(C.weave_feedback_creator(row)),
			WBUserID:      borrowed(C.weave_feedback_wb_user_id(row)),
			AnnotationRef: borrowed(C.weave_feedback_annotation_ref(row)),
			RunnableRef:   borrowed(C.weave_feedback_runnable_ref(row)),
			CallRef:       borrowed(C.weave_feedback_call_ref(row)),
			TriggerRef:    borrowed(C.weave_feedback_trigger_ref(row)),
			QueueID:       borrowed(C.weave_feedback_queue_id(row)),
		}
		if t, err := time.Parse(time.RFC3339Nano, borrowed(C.weave_feedback_created_at(row))); err == nil {
			out.CreatedAt = t
		}
		var js *C.char
		if err := check("weave_feedback_to_json", func(e **C.weave_error) C.enum_weave_status {
			return C.weave_feedback_to_json(row, &js, e)
		}); err != nil {
			return err
		}
		out.JSON = takeString(js)
		return nil
	})
	return out, err
}

// Rows copies every row.
func (f *Feedbacks) Rows() ([]Feedback, error) {
	out := make([]Feedback, 0, f.n)
	for i := 0; i < f.n; i++ {
		row, err := f.Row(i)
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, nil
}

// Table is the Python SDK's plain-text table of the rows.
func (f *Feedbacks) Table() (string, error) {
	return f.text("weave_feedbacks_format_table", func(p *C.weave_feedbacks, out **C.char, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedbacks_format_table(p, out, e)
	})
}

// JSON is the rows as a JSON array with the wire key names.
func (f *Feedbacks) JSON() (string, error) {
	return f.text("weave_feedbacks_to_json", func(p *C.weave_feedbacks, out **C.char, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedbacks_to_json(p, out, e)
	})
}

func (f *Feedbacks) text(op string, fn func(p *C.weave_feedbacks, out **C.char, e **C.weave_error) C.enum_weave_status) (string, error) {
	var out *C.char
	if err := f.h.call(op, func(p *C.weave_feedbacks, e **C.weave_error) C.enum_weave_status { return fn(p, &out, e) }); err != nil {
		return "", err
	}
	return takeString(out), nil
}

// Refs returns the distinct refs of the rows, in first-seen order.
func (f *Feedbacks) Refs() ([]string, error) {
	return refs(&f.h, "weave_feedbacks_refs", func(p *C.weave_feedbacks, out **C.weave_refs, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedbacks_refs(p, out, e)
	})
}
