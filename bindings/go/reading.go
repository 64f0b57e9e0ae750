package weavefeedback

// Reading beyond Execute: a row by id, settings changed after a query is made (offset, limit,
// Ref column, reaction, sort order, projected fields), and a query read as a collection
// (Len, Get). Every call goes through handle.call, as in weavefeedback.go.

/*
#include <weave_feedback.h>
*/
import "C"

import (
	"encoding/json"
)

// GetFeedback returns the row with this id in entity/project (the Python SDK's
// client.get_feedback(id)). No such row is an *Error with StatusNotFound and HTTPStatus 0 (the
// server answered, with no row). One request.
func (c *Client) GetFeedback(entity, project, id string) (Feedback, error) {
	var cs cstrs
	defer cs.free()
	a, err := cs.all([]string{entity, project, id}, []bool{false, false, false})
	if err != nil {
		return Feedback{}, err
	}
	return oneRow(&c.h, "weave_client_get_feedback", func(p *C.weave_client, out **C.weave_feedbacks, e **C.weave_error) C.enum_weave_status {
		return C.weave_client_get_feedback(p, a[0], a[1], a[2], out, e)
	})
}

// oneRow runs a call that returns a one-row weave_feedbacks and copies that row.
func oneRow[T any](h *handle[T], op string, fn func(p *T, out **C.weave_feedbacks, e **C.weave_error) C.enum_weave_status) (Feedback, error) {
	rows, err := fetch(h, op, fn)
	if err != nil {
		return Feedback{}, err
	}
	defer rows.Close()
	return rows.Row(0)
}

// length runs a _len call.
func length[T any](h *handle[T], op string, fn func(p *T, out *C.size_t, e **C.weave_error) C.enum_weave_status) (int, error) {
	var n C.size_t
	if err := h.call(op, func(p *T, e **C.weave_error) C.enum_weave_status { return fn(p, &n, e) }); err != nil {
		return 0, err
	}
	return int(n), nil
}

// ---------------------------------------------------------------------------- project queries

// Len is the number of rows: the first use of the query fetches them (as Execute does), later
// calls read the cache. Network call on first use.
func (q *FeedbackQuery) Len() (int, error) {
	return length(&q.h, "weave_feedback_query_len", func(p *C.weave_feedback_query, n *C.size_t, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedback_query_len(p, n, e)
	})
}

// Get copies row i of the query, fetched on first use and then read from the cache. A negative
// i counts from the end (-1 is the last row), as in Python. Out of range is an *Error with
// StatusInvalidArgument whose message says how many rows there are.
func (q *FeedbackQuery) Get(i int) (Feedback, error) {
	return oneRow(&q.h, "weave_feedback_query_get", func(p *C.weave_feedback_query, out **C.weave_feedbacks, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedback_query_get(p, C.int64_t(i), out, e)
	})
}

// SetOffset skips the first n rows (negative: from the first row). Clears the cache.
func (q *FeedbackQuery) SetOffset(n int64) error {
	return q.h.call("weave_feedback_query_set_offset", func(p *C.weave_feedback_query, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedback_query_set_offset(p, C.int64_t(n), e)
	})
}

// SetLimit returns at most n rows (negative: no limit; 0 means no rows, unlike
// FeedbackQueryOptions.Limit). Clears the cache.
func (q *FeedbackQuery) SetLimit(n int64) error {
	return q.h.call("weave_feedback_query_set_limit", func(p *C.weave_feedback_query, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedback_query_set_limit(p, C.int64_t(n), e)
	})
}

// SetShowRefs shows or hides the Ref column of Feedbacks.Table. Clears the cache.
func (q *FeedbackQuery) SetShowRefs(show bool) error {
	return q.h.call("weave_feedback_query_set_show_refs", func(p *C.weave_feedback_query, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedback_query_set_show_refs(p, C.bool(show), e)
	})
}

// SetReaction keeps only reactions with exactly this emoji, on top of the query's filter (the
// Python SDK's get_feedback(reaction=...), which also uses offset 0, limit 100 and the Ref
// column: set those yourself). "" removes the reaction filter. Clears the cache.
func (q *FeedbackQuery) SetReaction(emoji string) error {
	var cs cstrs
	defer cs.free()
	cemoji, err := cs.opt(emoji)
	if err != nil {
		return err
	}
	return q.h.call("weave_feedback_query_set_reaction", func(p *C.weave_feedback_query, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedback_query_set_reaction(p, cemoji, e)
	})
}

// SortBy is one key of SetSortBy: a column (created_at, feedback_type, ...) or a payload path
// (payload.score), and "asc" or "desc".
type SortBy struct {
	Field     string `json:"field"`
	Direction string `json:"direction"`
}

// Asc sorts by field, ascending.
func Asc(field string) SortBy { return SortBy{Field: field, Direction: "asc"} }

// Desc sorts by field, descending.
func Desc(field string) SortBy { return SortBy{Field: field, Direction: "desc"} }

// SetSortBy orders the rows by these keys in turn. nil restores the default, created_at
// ascending; an empty non-nil slice asks for no order. An unknown field ("Unknown field:
// <name>") or direction is an *Error with StatusInvalidArgument and leaves the query as it
// was. A query sorted otherwise than by created_at ascending is fetched in one request by
// Execute and cannot make a Cursor (Pages). Clears the cache.
func (q *FeedbackQuery) SetSortBy(keys []SortBy) error {
	return q.setJSON("weave_feedback_query_set_sort_by", keys == nil, keys,
		func(p *C.weave_feedback_query, js *C.char, e **C.weave_error) C.enum_weave_status {
			return C.weave_feedback_query_set_sort_by(p, js, e)
		})
}

// SetFields asks for these fields only: column names and payload paths ("id",
// "payload.score"); nil or empty means whole rows. An unknown field is an *Error with
// StatusInvalidArgument and leaves the query as it was. A projected query is read only with
// FetchProjected: Execute, Refresh, Refs, Len, Get and Pages refuse it
// (StatusInvalidArgument). Clears the cache.
func (q *FeedbackQuery) SetFields(fields []string) error {
	return q.setJSON("weave_feedback_query_set_fields", len(fields) == 0, fields,
		func(p *C.weave_feedback_query, js *C.char, e **C.weave_error) C.enum_weave_status {
			return C.weave_feedback_query_set_fields(p, js, e)
		})
}

// setJSON marshals v and passes it to a setter taking JSON text (NULL when null is set).
func (q *FeedbackQuery) setJSON(op string, null bool, v any, fn func(p *C.weave_feedback_query, js *C.char, e **C.weave_error) C.enum_weave_status) error {
	var cs cstrs
	defer cs.free()
	var cjs *C.char
	if !null {
		raw, err := json.Marshal(v)
		if err != nil {
			return &Error{Op: op, Status: StatusInvalidArgument, Message: "invalid argument: " + err.Error()}
		}
		if cjs, err = cs.add(string(raw)); err != nil {
			return err
		}
	}
	return q.h.call(op, func(p *C.weave_feedback_query, e **C.weave_error) C.enum_weave_status {
		return fn(p, cjs, e)
	})
}

// FetchProjected returns the rows with only the fields set by SetFields (whole rows without),
// each as the server sent it: a column keeps its name, a payload path such as payload.score is
// its own key. Values stay JSON text (json.RawMessage), so numbers keep their precision. One
// request each call, nothing cached.
func (q *FeedbackQuery) FetchProjected() ([]map[string]json.RawMessage, error) {
	var out *C.char
	if err := q.h.call("weave_feedback_query_fetch_projected", func(p *C.weave_feedback_query, e **C.weave_error) C.enum_weave_status {
		return C.weave_feedback_query_fetch_projected(p, &out, e)
	}); err != nil {
		return nil, err
	}
	var rows []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(takeString(out)), &rows); err != nil {
		return nil, &Error{Op: "weave_feedback_query_fetch_projected", Status: StatusDecode, Message: "decode: " + err.Error()}
	}
	return rows, nil
}

// ---------------------------------------------------------------------------- ref queries

// Len is the number of rows on the ref, fetched on first use, then read from the cache.
func (q *RefFeedbackQuery) Len() (int, error) {
	return length(&q.h, "weave_ref_feedback_query_len", func(p *C.weave_ref_feedback_query, n *C.size_t, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_len(p, n, e)
	})
}

// Get copies row i on the ref (negative: from the end), as FeedbackQuery.Get.
func (q *RefFeedbackQuery) Get(i int) (Feedback, error) {
	return oneRow(&q.h, "weave_ref_feedback_query_get", func(p *C.weave_ref_feedback_query, out **C.weave_feedbacks, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_get(p, C.int64_t(i), out, e)
	})
}

// SetOffset skips the first n rows on the ref (negative: from the first row). Clears the cache.
func (q *RefFeedbackQuery) SetOffset(n int64) error {
	return q.h.call("weave_ref_feedback_query_set_offset", func(p *C.weave_ref_feedback_query, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_set_offset(p, C.int64_t(n), e)
	})
}

// SetLimit returns at most n rows on the ref (negative: no limit). Clears the cache.
func (q *RefFeedbackQuery) SetLimit(n int64) error {
	return q.h.call("weave_ref_feedback_query_set_limit", func(p *C.weave_ref_feedback_query, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_set_limit(p, C.int64_t(n), e)
	})
}

// SetShowRefs shows or hides the Ref column of the table of the ref's rows. Clears the cache.
func (q *RefFeedbackQuery) SetShowRefs(show bool) error {
	return q.h.call("weave_ref_feedback_query_set_show_refs", func(p *C.weave_ref_feedback_query, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_set_show_refs(p, C.bool(show), e)
	})
}
