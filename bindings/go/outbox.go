package weavefeedback

// The durable outbox: options that give a client one (WithOutbox, WithOutboxMaxRows,
// WithOutboxLease), and the client's calls on it (Flush, OutboxPending, DeadLetters,
// PurgeDeadLetters, OutboxCounters). Every call goes through handle.call, as in
// weavefeedback.go.

/*
#include <weave_feedback.h>
*/
import "C"

import (
	"encoding/json"
	"time"
)

// WithOutbox makes every add commit its row(s) to the SQLite file at path (created if
// missing) before sending them: Add, AddNote, AddReaction and AddBatch then return the ids
// whether or not the server took the rows, and what was not delivered stays queued for Flush
// (by this process or any other sharing the file). A file that cannot be opened fails
// NewClient with StatusInvalidArgument.
func WithOutbox(path string) Option {
	return func(o *C.weave_client_options, cs *cstrs) error {
		p, err := cs.add(path)
		if err != nil {
			return err
		}
		return check("weave_client_options_set_outbox_path", func(e **C.weave_error) C.enum_weave_status {
			return C.weave_client_options_set_outbox_path(o, p, e)
		})
	}
}

// WithOutboxMaxRows sets the most rows the outbox holds (default 100000). An add that would go
// over fails with StatusOutboxFull and queues nothing; nothing queued is ever dropped. 0 makes
// NewClient fail with StatusInvalidArgument.
func WithOutboxMaxRows(n uint64) Option {
	return func(o *C.weave_client_options, _ *cstrs) error {
		return check("weave_client_options_set_outbox_max_rows", func(e **C.weave_error) C.enum_weave_status {
			return C.weave_client_options_set_outbox_max_rows(o, C.uint64_t(n), e)
		})
	}
}

// WithOutboxLease sets how long a claim on outbox rows lasts (default 60 s): rows a process
// claimed and then died with are sent by another after this long, and each delivery is bounded
// by four fifths of it. 0 makes NewClient fail with StatusInvalidArgument.
func WithOutboxLease(d time.Duration) Option {
	return func(o *C.weave_client_options, _ *cstrs) error {
		return check("weave_client_options_set_outbox_lease_ms", func(e **C.weave_error) C.enum_weave_status {
			return C.weave_client_options_set_outbox_lease_ms(o, millis(d), e)
		})
	}
}

// Flush sends what the outbox holds, in batches, until nothing is left or deadline has passed
// (0: only counts). pending is the number of rows still queued, also on failure when it could
// be counted. err is nil when nothing is pending; an *Error with StatusTimeout when rows are
// left at the deadline (its message gives the last failure); StatusUnauthorized at once on
// HTTP 401/403 (the rows stay queued: fix the key and flush again). Without an outbox: 0, nil.
func (c *Client) Flush(deadline time.Duration) (pending uint64, err error) {
	var n C.uint64_t
	err = c.h.call("weave_client_flush", func(p *C.weave_client, e **C.weave_error) C.enum_weave_status {
		return C.weave_client_flush(p, millis(deadline), &n, e)
	})
	return uint64(n), err
}

// OutboxPending is the number of rows in the outbox not yet delivered (by any process sharing
// it), without sending anything; 0 without an outbox.
func (c *Client) OutboxPending() (uint64, error) {
	var n C.uint64_t
	err := c.h.call("weave_client_outbox_pending", func(p *C.weave_client, e **C.weave_error) C.enum_weave_status {
		return C.weave_client_outbox_pending(p, &n, e)
	})
	return uint64(n), err
}

// DeadLetter is a row the server refused (any 4xx but 401, 403, 408 and 429). It is never sent
// again; PurgeDeadLetters deletes it.
type DeadLetter struct {
	ID         string          `json:"id"`          // the feedback id the add returned
	ProjectID  string          `json:"project_id"`  // entity/project
	HTTPStatus int             `json:"http_status"` // the server's status
	Reason     string          `json:"reason"`      // the server's reason
	FailedAtMs int64           `json:"failed_at_ms"`
	Request    json.RawMessage `json:"request"` // the refused create request
}

// FailedAt is when the server refused the row.
func (d DeadLetter) FailedAt() time.Time { return time.UnixMilli(d.FailedAtMs) }

// DeadLetters lists the rows the server refused, oldest first (none without an outbox).
func (c *Client) DeadLetters() ([]DeadLetter, error) {
	var js *C.char
	if err := c.h.call("weave_client_outbox_dead_letters_json", func(p *C.weave_client, e **C.weave_error) C.enum_weave_status {
		return C.weave_client_outbox_dead_letters_json(p, &js, e)
	}); err != nil {
		return nil, err
	}
	out := []DeadLetter{}
	if err := json.Unmarshal([]byte(takeString(js)), &out); err != nil {
		return nil, &Error{Op: "weave_client_outbox_dead_letters_json", Status: StatusDecode,
			Message: "decode error: " + err.Error()}
	}
	return out, nil
}

// PurgeDeadLetters deletes the dead letters with these feedback ids, or every dead letter when
// no id is given, and returns how many were deleted. An empty id is StatusInvalidArgument.
func (c *Client) PurgeDeadLetters(ids ...string) (uint64, error) {
	if len(ids) == 0 {
		return c.purgeDead(nil)
	}
	var total uint64
	for _, id := range ids {
		var cs cstrs
		cid, err := cs.add(id)
		if err != nil {
			return total, err
		}
		n, err := c.purgeDead(cid)
		cs.free()
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (c *Client) purgeDead(id *C.char) (uint64, error) {
	var n C.uint64_t
	err := c.h.call("weave_client_outbox_purge_dead_letters", func(p *C.weave_client, e **C.weave_error) C.enum_weave_status {
		return C.weave_client_outbox_purge_dead_letters(p, id, &n, e)
	})
	return uint64(n), err
}

// OutboxCounters is what a client's outbox did since the client was built.
type OutboxCounters struct {
	Queued    uint64 // rows this client queued
	Delivered uint64 // rows this client saw stored on the server (sent, or found by a look-up)
	Retried   uint64 // rows claimed again after an earlier claim that did not settle them
	Dead      uint64 // rows this client moved to the dead letters
}

// OutboxCounters returns this client's outbox counters (all 0 without an outbox).
func (c *Client) OutboxCounters() (OutboxCounters, error) {
	var out C.weave_outbox_counters
	if err := c.h.call("weave_client_outbox_counters", func(p *C.weave_client, e **C.weave_error) C.enum_weave_status {
		return C.weave_client_outbox_counters(p, &out, e)
	}); err != nil {
		return OutboxCounters{}, err
	}
	return OutboxCounters{Queued: uint64(out.queued), Delivered: uint64(out.delivered),
		Retried: uint64(out.retried), Dead: uint64(out.dead)}, nil
}
