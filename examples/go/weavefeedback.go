// Package weavefeedback is a Go wrapper over the C API of weave-feedback
// (include/weave_feedback.h): reactions, notes and scores on W&B Weave calls and objects.
//
// Memory: every type that owns a C handle (Client, RefFeedbackQuery, FeedbackQuery, Feedbacks)
// has an idempotent Close; call it (usually with defer). A finalizer frees a handle that was
// never closed, but only as a backstop: it runs whenever the garbage collector gets to it.
// Everything else (Feedback rows, errors, ids, tables) is copied into Go memory at once.
//
// Threads: a Client may be shared by any number of goroutines. Queries and Feedbacks may be
// shared too: the wrapper serialises calls on a query (the C handle takes one call at a time)
// and Close waits for calls in flight. Network calls (Add*, Purge, Execute, Refresh, Refs)
// block the calling goroutine; cgo gives the Go scheduler another thread meanwhile.
//
// Linking: the #cgo lines below link the shared library in ../../target/debug (built by
// `cargo build` at the repository root) and record that directory as the binary's rpath.
package weavefeedback

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../target/debug -lweave_feedback -Wl,-rpath,${SRCDIR}/../../target/debug
#include <stdlib.h>
#include "weave_feedback.h"
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

// The statuses of the C API.
const (
	StatusOK              Status = C.WEAVE_STATUS_OK
	StatusInvalidArgument Status = C.WEAVE_STATUS_INVALID_ARGUMENT
	StatusInvalidRef      Status = C.WEAVE_STATUS_INVALID_REF
	StatusInvalidFeedback Status = C.WEAVE_STATUS_INVALID_FEEDBACK
	StatusUnauthorized    Status = C.WEAVE_STATUS_UNAUTHORIZED
	StatusNotFound        Status = C.WEAVE_STATUS_NOT_FOUND
	StatusRejected        Status = C.WEAVE_STATUS_REJECTED
	StatusRateLimited     Status = C.WEAVE_STATUS_RATE_LIMITED
	StatusServer          Status = C.WEAVE_STATUS_SERVER
	StatusTransport       Status = C.WEAVE_STATUS_TRANSPORT
	StatusTimeout         Status = C.WEAVE_STATUS_TIMEOUT
	StatusDecode          Status = C.WEAVE_STATUS_DECODE
	StatusInternal        Status = C.WEAVE_STATUS_INTERNAL
)

// String is the library's description of the status ("invalid ref", ...).
func (s Status) String() string {
	return C.GoString(C.weave_status_str(C.enum_weave_status(s)))
}

// Error is a failed call, copied out of the C weave_error (which is freed at once).
type Error struct {
	Op         string // the C function that failed
	Status     Status
	Message    string
	HTTPStatus int // 0 when there was no HTTP response
	Attempts   int // HTTP attempts, for errors out of the retry loop; else 0
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "weavefeedback: %s: %s (%s", e.Op, e.Message, e.Status)
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ", HTTP %d", e.HTTPStatus)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, ", %d attempts", e.Attempts)
	}
	b.WriteString(")")
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

// liveHandles counts C handles not yet freed (tests check that finalizers free them).
var liveHandles atomic.Int64

// Version is the C library's version, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.weave_feedback_version()) }

// errorFrom turns a status and its C error into a Go error, copying everything and freeing
// the C error. It returns nil for StatusOK.
func errorFrom(op string, st C.enum_weave_status, cerr *C.weave_error) error {
	if st == C.WEAVE_STATUS_OK {
		C.weave_error_free(cerr) // NULL on success; freeing is a no-op then
		return nil
	}
	e := &Error{Op: op, Status: Status(st)}
	if cerr != nil {
		e.Message = C.GoString(C.weave_error_message(cerr))
		e.HTTPStatus = int(C.weave_error_http_status(cerr))
		e.Attempts = int(C.weave_error_attempts(cerr))
		C.weave_error_free(cerr)
	}
	return e
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

// cstrs collects the C copies of Go strings made for one call; free releases them all.
type cstrs []unsafe.Pointer

// add copies s to C memory. A NUL byte would silently cut the string short in C, so it is
// refused here.
func (c *cstrs) add(s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, &Error{Op: "weavefeedback", Status: StatusInvalidArgument,
			Message: "string contains a NUL byte"}
	}
	p := C.CString(s)
	*c = append(*c, unsafe.Pointer(p))
	return p, nil
}

// opt is add for an optional argument: nil gives NULL.
func (c *cstrs) opt(s *string) (*C.char, error) {
	if s == nil {
		return nil, nil
	}
	return c.add(*s)
}

func (c cstrs) free() {
	for _, p := range c {
		C.free(p)
	}
}

// ---------------------------------------------------------------------------- client

// Option changes one setting of NewClient.
type Option func(*settings)

type settings struct {
	baseURL, apiKey                   *string
	timeout, deadline, retryBaseDelay *time.Duration
	maxRetries                        *uint32
}

// WithBaseURL sets the trace server URL (default: WF_TRACE_SERVER_URL, or the hosted one).
func WithBaseURL(url string) Option { return func(s *settings) { s.baseURL = &url } }

// WithAPIKey sets the W&B API key (default: WANDB_API_KEY); "" means no key.
func WithAPIKey(key string) Option { return func(s *settings) { s.apiKey = &key } }

// WithTimeout bounds one HTTP attempt (default 30 s).
func WithTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = &d } }

// WithDeadline bounds a whole call, retries included (default: none).
func WithDeadline(d time.Duration) Option { return func(s *settings) { s.deadline = &d } }

// WithMaxRetries sets how many times a failed attempt is retried (default 2).
func WithMaxRetries(n uint32) Option { return func(s *settings) { s.maxRetries = &n } }

// WithRetryBaseDelay sets the first backoff step between retries (default 500 ms).
func WithRetryBaseDelay(d time.Duration) Option { return func(s *settings) { s.retryBaseDelay = &d } }

func millis(d time.Duration) C.uint64_t {
	if d <= 0 {
		return 0
	}
	if d < time.Millisecond {
		return 1
	}
	return C.uint64_t(d / time.Millisecond)
}

// apply writes the settings to C options.
func (s *settings) apply(o *C.weave_client_options) error {
	var cs cstrs
	defer cs.free()
	var cerr *C.weave_error
	if s.baseURL != nil {
		p, err := cs.add(*s.baseURL)
		if err != nil {
			return err
		}
		st := C.weave_client_options_set_base_url(o, p, &cerr)
		if err := errorFrom("weave_client_options_set_base_url", st, cerr); err != nil {
			return err
		}
	}
	if s.apiKey != nil {
		p, err := cs.add(*s.apiKey)
		if err != nil {
			return err
		}
		st := C.weave_client_options_set_api_key(o, p, &cerr)
		if err := errorFrom("weave_client_options_set_api_key", st, cerr); err != nil {
			return err
		}
	}
	if s.timeout != nil {
		st := C.weave_client_options_set_timeout_ms(o, millis(*s.timeout), &cerr)
		if err := errorFrom("weave_client_options_set_timeout_ms", st, cerr); err != nil {
			return err
		}
	}
	if s.deadline != nil {
		st := C.weave_client_options_set_deadline_ms(o, millis(*s.deadline), &cerr)
		if err := errorFrom("weave_client_options_set_deadline_ms", st, cerr); err != nil {
			return err
		}
	}
	if s.maxRetries != nil {
		st := C.weave_client_options_set_max_retries(o, C.uint32_t(*s.maxRetries), &cerr)
		if err := errorFrom("weave_client_options_set_max_retries", st, cerr); err != nil {
			return err
		}
	}
	if s.retryBaseDelay != nil {
		st := C.weave_client_options_set_retry_base_delay_ms(o, millis(*s.retryBaseDelay), &cerr)
		if err := errorFrom("weave_client_options_set_retry_base_delay_ms", st, cerr); err != nil {
			return err
		}
	}
	return nil
}

// Client is a connection to a Weave trace server. Safe for concurrent use.
type Client struct {
	mu  sync.RWMutex // read-locked by calls, write-locked by Close
	ptr *C.weave_client
}

// NewClient builds a client. Without options the C library reads its configuration from the
// environment (WF_TRACE_SERVER_URL, WANDB_API_KEY, ...): it is given NULL options. Options
// change those defaults.
func NewClient(opts ...Option) (*Client, error) {
	var copts *C.weave_client_options // NULL: defaults from the environment
	if len(opts) > 0 {
		copts = C.weave_client_options_new()
		if copts == nil {
			return nil, &Error{Op: "weave_client_options_new", Status: StatusInternal, Message: "no options"}
		}
		// weave_client_new copies the options: they are ours to free.
		defer C.weave_client_options_free(copts)
		var s settings
		for _, opt := range opts {
			opt(&s)
		}
		if err := s.apply(copts); err != nil {
			return nil, err
		}
	}
	var ptr *C.weave_client
	var cerr *C.weave_error
	st := C.weave_client_new(copts, &ptr, &cerr)
	if err := errorFrom("weave_client_new", st, cerr); err != nil {
		return nil, err
	}
	liveHandles.Add(1)
	c := &Client{ptr: ptr}
	runtime.SetFinalizer(c, (*Client).release)
	return c, nil
}

// Close frees the client, after any call in flight on it. Idempotent. Queries made from the
// client stay usable.
func (c *Client) Close() error {
	runtime.SetFinalizer(c, nil)
	c.release()
	return nil
}

func (c *Client) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		C.weave_client_free(c.ptr)
		c.ptr = nil
		liveHandles.Add(-1)
	}
}

// RefFeedback is the feedback on one ref (weave:///entity/project/call/<id>, an object
// version, ...). Nothing is fetched yet. A string that is not a ref gives StatusInvalidRef.
func (c *Client) RefFeedback(ref string) (*RefFeedbackQuery, error) {
	var cs cstrs
	defer cs.free()
	cref, err := cs.add(ref)
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return nil, ErrClosed
	}
	var ptr *C.weave_ref_feedback_query
	var cerr *C.weave_error
	st := C.weave_ref_feedback_query_new(c.ptr, cref, &ptr, &cerr)
	runtime.KeepAlive(c)
	if err := errorFrom("weave_ref_feedback_query_new", st, cerr); err != nil {
		return nil, err
	}
	liveHandles.Add(1)
	q := &RefFeedbackQuery{ptr: ptr, ref: ref}
	runtime.SetFinalizer(q, (*RefFeedbackQuery).release)
	return q, nil
}

// ProjectQuery selects a project's feedback for Client.ProjectFeedback.
type ProjectQuery struct {
	Query    string // optional: a Query object as JSON, {"$expr": ...}; "" means every row
	Offset   int64  // 0: from the first row
	Limit    int64  // 0: no limit
	ShowRefs bool   // adds the Ref column to Feedbacks.Table
}

// ProjectFeedback is the feedback of a whole project. Nothing is fetched yet.
func (c *Client) ProjectFeedback(entity, project string, pq ProjectQuery) (*FeedbackQuery, error) {
	var cs cstrs
	defer cs.free()
	ce, err := cs.add(entity)
	if err != nil {
		return nil, err
	}
	cp, err := cs.add(project)
	if err != nil {
		return nil, err
	}
	var cq *C.char
	if pq.Query != "" {
		if cq, err = cs.add(pq.Query); err != nil {
			return nil, err
		}
	}
	limit := pq.Limit
	if limit <= 0 {
		limit = -1 // not set
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return nil, ErrClosed
	}
	var ptr *C.weave_feedback_query
	var cerr *C.weave_error
	st := C.weave_feedback_query_new(c.ptr, ce, cp, cq, C.int64_t(pq.Offset), C.int64_t(limit),
		C.bool(pq.ShowRefs), &ptr, &cerr)
	runtime.KeepAlive(c)
	if err := errorFrom("weave_feedback_query_new", st, cerr); err != nil {
		return nil, err
	}
	liveHandles.Add(1)
	q := &FeedbackQuery{ptr: ptr}
	runtime.SetFinalizer(q, (*FeedbackQuery).release)
	return q, nil
}

// ---------------------------------------------------------------------------- ref feedback

// RefFeedbackQuery is the feedback on one ref: add, purge, query. Safe for concurrent use
// (calls are serialised: the C handle takes one call at a time).
type RefFeedbackQuery struct {
	mu  sync.Mutex
	ptr *C.weave_ref_feedback_query
	ref string
}

// Ref is the ref this query is about.
func (q *RefFeedbackQuery) Ref() string { return q.ref }

// Close frees the query (after a call in flight). Idempotent. Feedbacks it returned stay valid.
func (q *RefFeedbackQuery) Close() error {
	runtime.SetFinalizer(q, nil)
	q.release()
	return nil
}

func (q *RefFeedbackQuery) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ptr != nil {
		C.weave_ref_feedback_query_free(q.ptr)
		q.ptr = nil
		liveHandles.Add(-1)
	}
}

// AddOption sets an optional field of an added feedback.
type AddOption func(*addOptions)

type addOptions struct {
	creator, annotationRef *string
}

// Creator sets the feedback's creator (a display name).
func Creator(name string) AddOption { return func(o *addOptions) { o.creator = &name } }

// AnnotationRef sets the annotation spec's ref (for wandb.annotation.* types).
func AnnotationRef(ref string) AddOption { return func(o *addOptions) { o.annotationRef = &ref } }

func collect(opts []AddOption) addOptions {
	var o addOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Add adds feedback of a custom type ("helpfulness") or wandb.annotation.<name>. payload is
// marshalled to a JSON object (json.RawMessage is sent as is; nil means {}). Returns the new
// row's id.
func (q *RefFeedbackQuery) Add(feedbackType string, payload any, opts ...AddOption) (string, error) {
	o := collect(opts)
	var cs cstrs
	defer cs.free()
	ctype, err := cs.add(feedbackType)
	if err != nil {
		return "", err
	}
	var cpayload *C.char
	if payload != nil {
		raw, ok := payload.(json.RawMessage)
		if !ok {
			if raw, err = json.Marshal(payload); err != nil {
				return "", &Error{Op: "weavefeedback", Status: StatusInvalidArgument, Message: err.Error()}
			}
		}
		if cpayload, err = cs.add(string(raw)); err != nil {
			return "", err
		}
	}
	ccreator, err := cs.opt(o.creator)
	if err != nil {
		return "", err
	}
	cannotation, err := cs.opt(o.annotationRef)
	if err != nil {
		return "", err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ptr == nil {
		return "", ErrClosed
	}
	var id *C.char
	var cerr *C.weave_error
	st := C.weave_ref_feedback_query_add(q.ptr, ctype, cpayload, ccreator, cannotation, &id, &cerr)
	runtime.KeepAlive(q)
	if err := errorFrom("weave_ref_feedback_query_add", st, cerr); err != nil {
		return "", err
	}
	return takeString(id), nil
}

// AddNote adds a note (wandb.note.1), 1 to 1024 characters. Returns the new row's id.
func (q *RefFeedbackQuery) AddNote(note string, opts ...AddOption) (string, error) {
	o := collect(opts)
	var cs cstrs
	defer cs.free()
	cnote, err := cs.add(note)
	if err != nil {
		return "", err
	}
	ccreator, err := cs.opt(o.creator)
	if err != nil {
		return "", err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ptr == nil {
		return "", ErrClosed
	}
	var id *C.char
	var cerr *C.weave_error
	st := C.weave_ref_feedback_query_add_note(q.ptr, cnote, ccreator, &id, &cerr)
	runtime.KeepAlive(q)
	if err := errorFrom("weave_ref_feedback_query_add_note", st, cerr); err != nil {
		return "", err
	}
	return takeString(id), nil
}

// AddReaction adds an emoji reaction (wandb.reaction.1), exactly one emoji. Returns the id.
func (q *RefFeedbackQuery) AddReaction(emoji string, opts ...AddOption) (string, error) {
	o := collect(opts)
	var cs cstrs
	defer cs.free()
	cemoji, err := cs.add(emoji)
	if err != nil {
		return "", err
	}
	ccreator, err := cs.opt(o.creator)
	if err != nil {
		return "", err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ptr == nil {
		return "", ErrClosed
	}
	var id *C.char
	var cerr *C.weave_error
	st := C.weave_ref_feedback_query_add_reaction(q.ptr, cemoji, ccreator, &id, &cerr)
	runtime.KeepAlive(q)
	if err := errorFrom("weave_ref_feedback_query_add_reaction", st, cerr); err != nil {
		return "", err
	}
	return takeString(id), nil
}

// Purge deletes the row with this id anywhere in the ref's project (as the Python SDK does).
func (q *RefFeedbackQuery) Purge(id string) error {
	var cs cstrs
	defer cs.free()
	cid, err := cs.add(id)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ptr == nil {
		return ErrClosed
	}
	var cerr *C.weave_error
	st := C.weave_ref_feedback_query_purge(q.ptr, cid, &cerr)
	runtime.KeepAlive(q)
	return errorFrom("weave_ref_feedback_query_purge", st, cerr)
}

// Execute returns the rows on the ref, fetched on the first call (and after any add or
// purge), else from the cache. Close the result when done.
func (q *RefFeedbackQuery) Execute() (*Feedbacks, error) {
	return q.fetch("weave_ref_feedback_query_execute", false)
}

// Refresh fetches the rows now and makes them the cached result.
func (q *RefFeedbackQuery) Refresh() (*Feedbacks, error) {
	return q.fetch("weave_ref_feedback_query_refresh", true)
}

func (q *RefFeedbackQuery) fetch(op string, refresh bool) (*Feedbacks, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ptr == nil {
		return nil, ErrClosed
	}
	var out *C.weave_feedbacks
	var cerr *C.weave_error
	var st C.enum_weave_status
	if refresh {
		st = C.weave_ref_feedback_query_refresh(q.ptr, &out, &cerr)
	} else {
		st = C.weave_ref_feedback_query_execute(q.ptr, &out, &cerr)
	}
	runtime.KeepAlive(q)
	if err := errorFrom(op, st, cerr); err != nil {
		return nil, err
	}
	return newFeedbacks(out), nil
}

// Refs returns the distinct refs of the rows.
func (q *RefFeedbackQuery) Refs() ([]string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ptr == nil {
		return nil, ErrClosed
	}
	var out *C.weave_refs
	var cerr *C.weave_error
	st := C.weave_ref_feedback_query_refs(q.ptr, &out, &cerr)
	runtime.KeepAlive(q)
	if err := errorFrom("weave_ref_feedback_query_refs", st, cerr); err != nil {
		return nil, err
	}
	return takeRefs(out), nil
}

// ---------------------------------------------------------------------------- project feedback

// FeedbackQuery is a project's feedback, fetched lazily. Safe for concurrent use.
type FeedbackQuery struct {
	mu  sync.Mutex
	ptr *C.weave_feedback_query
}

// Close frees the query. Idempotent.
func (q *FeedbackQuery) Close() error {
	runtime.SetFinalizer(q, nil)
	q.release()
	return nil
}

func (q *FeedbackQuery) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ptr != nil {
		C.weave_feedback_query_free(q.ptr)
		q.ptr = nil
		liveHandles.Add(-1)
	}
}

// Execute returns the rows (cached after the first fetch). Close the result when done.
func (q *FeedbackQuery) Execute() (*Feedbacks, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ptr == nil {
		return nil, ErrClosed
	}
	var out *C.weave_feedbacks
	var cerr *C.weave_error
	st := C.weave_feedback_query_execute(q.ptr, &out, &cerr)
	runtime.KeepAlive(q)
	if err := errorFrom("weave_feedback_query_execute", st, cerr); err != nil {
		return nil, err
	}
	return newFeedbacks(out), nil
}

// Refresh fetches the rows now and makes them the cached result.
func (q *FeedbackQuery) Refresh() (*Feedbacks, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ptr == nil {
		return nil, ErrClosed
	}
	var out *C.weave_feedbacks
	var cerr *C.weave_error
	st := C.weave_feedback_query_refresh(q.ptr, &out, &cerr)
	runtime.KeepAlive(q)
	if err := errorFrom("weave_feedback_query_refresh", st, cerr); err != nil {
		return nil, err
	}
	return newFeedbacks(out), nil
}

// ---------------------------------------------------------------------------- results

// Feedback is one row, copied into Go memory.
type Feedback struct {
	ID, ProjectID, WeaveRef, FeedbackType string
	Payload                               json.RawMessage
	CreatedAt                             time.Time
	// "" when absent:
	Creator, WBUserID, AnnotationRef, RunnableRef, CallRef, TriggerRef, QueueID string
}

// Feedbacks is a result: immutable rows, readable from any number of goroutines. Close it
// when done (idempotent); rows returned by Row/Rows stay valid after Close.
type Feedbacks struct {
	mu  sync.RWMutex
	ptr *C.weave_feedbacks
	n   int
}

func newFeedbacks(ptr *C.weave_feedbacks) *Feedbacks {
	liveHandles.Add(1)
	f := &Feedbacks{ptr: ptr, n: int(C.weave_feedbacks_len(ptr))}
	runtime.SetFinalizer(f, (*Feedbacks).release)
	return f
}

// Close frees the rows. Idempotent.
func (f *Feedbacks) Close() error {
	runtime.SetFinalizer(f, nil)
	f.release()
	return nil
}

func (f *Feedbacks) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ptr != nil {
		C.weave_feedbacks_free(f.ptr)
		f.ptr = nil
		liveHandles.Add(-1)
	}
}

// Len is the number of rows.
func (f *Feedbacks) Len() int { return f.n }

// Row copies row i (0 <= i < Len()).
func (f *Feedbacks) Row(i int) (Feedback, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.ptr == nil {
		return Feedback{}, ErrClosed
	}
	if i < 0 || i >= f.n {
		return Feedback{}, &Error{Op: "weave_feedbacks_get", Status: StatusInvalidArgument,
			Message: fmt.Sprintf("row %d of %d", i, f.n)}
	}
	row := C.weave_feedbacks_get(f.ptr, C.size_t(i)) // borrowed from f.ptr
	out := Feedback{
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
	created := borrowed(C.weave_feedback_created_at(row))
	runtime.KeepAlive(f)
	if t, err := time.Parse(time.RFC3339Nano, created); err == nil {
		out.CreatedAt = t
	}
	return out, nil
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

func (f *Feedbacks) text(op string, call func(*C.weave_feedbacks, **C.char, **C.weave_error) C.enum_weave_status) (string, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.ptr == nil {
		return "", ErrClosed
	}
	var out *C.char
	var cerr *C.weave_error
	st := call(f.ptr, &out, &cerr)
	runtime.KeepAlive(f)
	if err := errorFrom(op, st, cerr); err != nil {
		return "", err
	}
	return takeString(out), nil
}

// Refs returns the distinct refs of the rows, in first-seen order.
func (f *Feedbacks) Refs() ([]string, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.ptr == nil {
		return nil, ErrClosed
	}
	var out *C.weave_refs
	var cerr *C.weave_error
	st := C.weave_feedbacks_refs(f.ptr, &out, &cerr)
	runtime.KeepAlive(f)
	if err := errorFrom("weave_feedbacks_refs", st, cerr); err != nil {
		return nil, err
	}
	return takeRefs(out), nil
}

// takeRefs copies a weave_refs into a slice and frees it.
func takeRefs(r *C.weave_refs) []string {
	defer C.weave_refs_free(r)
	n := int(C.weave_refs_len(r))
	out := make([]string, n)
	for i := range out {
		out[i] = borrowed(C.weave_refs_get(r, C.size_t(i)))
	}
	return out
}
