package weavefeedback

/*
#include <weave_feedback.h>
*/
import "C"

import (
	"io"
	"runtime"
)

// Cursor walks every row of a FeedbackQuery one page at a time (the C weave_feedback_cursor),
// so that memory holds one page however many rows there are. Pages come in a stable order,
// created_at then id, and each request asks for the rows after the last one seen: rows added
// or deleted during the walk are never skipped or repeated (new rows come at the end).
//
// Like archive/tar.Reader, Next returns io.EOF when the walk is over:
//
//	cur, err := q.Pages(1000)
//	if err != nil { return err }
//	defer cur.Close()
//	for {
//		page, err := cur.Next()
//		if err == io.EOF { break }
//		if err != nil { return err }
//		rows, err := page.Rows() // ...
//		page.Close()
//	}
//
// A Cursor may be shared by goroutines (calls are serialised); it does not depend on the query
// or client it came from. Close it when done (idempotent).
type Cursor struct {
	h handle[C.weave_feedback_cursor]
}

// Pages starts a walk over the query's rows, pageSize rows per request (at least 1). The
// query's filter applies, its Offset skips rows before the first page, its Limit bounds the
// whole walk; its cached result is not used. Nothing is fetched yet.
func (q *FeedbackQuery) Pages(pageSize int) (*Cursor, error) {
	if pageSize < 1 {
		return nil, &Error{Op: "weave_feedback_cursor_new", Status: StatusInvalidArgument,
			Message: "invalid argument: the page size must be at least 1"}
	}
	var ptr *C.weave_feedback_cursor
	if err := q.h.call("weave_feedback_cursor_new", func(p *C.weave_feedback_query, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedback_cursor_new(p, C.size_t(pageSize), &ptr, e)
	}); err != nil {
		return nil, err
	}
	c := &Cursor{}
	c.h.init(ptr, func(p *C.weave_feedback_cursor) { C.weave_feedback_cursor_free(p) }, true)
	runtime.SetFinalizer(c, func(c *Cursor) { c.h.release() })
	return c, nil
}

// Next fetches the next page: at least one row, to be closed by the caller. It returns io.EOF
// when every row has been seen, and again on every later call (without a request). After
// any other error the walk is over too (later calls return io.EOF): start a new one with
// Pages. Network call: blocks.
func (c *Cursor) Next() (*Feedbacks, error) {
	var page *C.weave_feedbacks
	var done C.bool
	if err := c.h.call("weave_feedback_cursor_next", func(p *C.weave_feedback_cursor, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedback_cursor_next(p, &page, &done, e)
	}); err != nil {
		return nil, err
	}
	if done {
		return nil, io.EOF
	}
	return newFeedbacks(page), nil
}

// Close frees the cursor (after a call in flight). Idempotent. Pages it returned stay valid.
func (c *Cursor) Close() error {
	runtime.SetFinalizer(c, nil)
	c.h.release()
	return nil
}
