package weavefeedback

// Writing beyond Add: refs built from their parts (the C weave_ref_build_* functions, no
// network) and scorer (runnable) feedback.

/*
#include <stdlib.h>
#include <weave_feedback.h>
*/
import "C"

import (
	"encoding/json"
	"unsafe"
)

// BuildCallRef builds weave:///<entity>/<project>/call/<id>, then the extra path parts, each
// percent-escaped as the Python SDK's CallRef(...).uri writes them. An empty part, or a "/" in
// entity, project or id, is an *Error with StatusInvalidArgument (the ref would not parse back
// to these parts). No network.
func BuildCallRef(entity, project, id string, extra ...string) (string, error) {
	return buildRef("weave_ref_build_call", []string{entity, project, id}, extra,
		func(a []*C.char, x **C.char, n C.size_t, out **C.char, e **C.weave_error) C.enum_weave_status {
			return C.weave_ref_build_call(a[0], a[1], a[2], x, n, out, e)
		})
}

// BuildObjectRef builds weave:///<entity>/<project>/object/<name>:<version>, then the extra
// path parts (usually edge/value pairs: "key", "attr", "index" or "id" and a value), each
// percent-escaped, as the SDK's ObjectRef(...).uri. An empty part, a "/" in any part or a ":"
// in name or version is an *Error with StatusInvalidArgument.
func BuildObjectRef(entity, project, name, version string, extra ...string) (string, error) {
	return buildRef("weave_ref_build_object", []string{entity, project, name, version}, extra,
		func(a []*C.char, x **C.char, n C.size_t, out **C.char, e **C.weave_error) C.enum_weave_status {
			return C.weave_ref_build_object(a[0], a[1], a[2], a[3], x, n, out, e)
		})
}

// BuildOpRef builds weave:///<entity>/<project>/op/<name>:<version> with the rules of
// BuildObjectRef (the SDK's OpRef(...).uri).
func BuildOpRef(entity, project, name, version string, extra ...string) (string, error) {
	return buildRef("weave_ref_build_op", []string{entity, project, name, version}, extra,
		func(a []*C.char, x **C.char, n C.size_t, out **C.char, e **C.weave_error) C.enum_weave_status {
			return C.weave_ref_build_op(a[0], a[1], a[2], a[3], x, n, out, e)
		})
}

// BuildTableRef builds weave:///<entity>/<project>/table/<digest> (the SDK's
// TableRef(...).uri; a table ref takes no extra parts). An empty part, a "/" in any part or a
// ":" in digest is an *Error with StatusInvalidArgument.
func BuildTableRef(entity, project, digest string) (string, error) {
	return buildRef("weave_ref_build_table", []string{entity, project, digest}, nil,
		func(a []*C.char, _ **C.char, _ C.size_t, out **C.char, e **C.weave_error) C.enum_weave_status {
			return C.weave_ref_build_table(a[0], a[1], a[2], out, e)
		})
}

// buildRef copies the parts and the extra parts to C memory (the extra array too: cgo forbids
// passing C a Go array of pointers), runs fn and takes the owned result.
func buildRef(op string, parts, extra []string,
	fn func(a []*C.char, extra **C.char, n C.size_t, out **C.char, e **C.weave_error) C.enum_weave_status) (string, error) {
	var cs cstrs
	defer cs.free()
	a, err := cs.all(parts, make([]bool, len(parts)))
	if err != nil {
		return "", err
	}
	var arr **C.char // NULL when there are no extra parts
	if len(extra) > 0 {
		x, err := cs.all(extra, make([]bool, len(extra)))
		if err != nil {
			return "", err
		}
		mem := C.malloc(C.size_t(len(x)) * C.size_t(unsafe.Sizeof((*C.char)(nil))))
		cs = append(cs, mem)
		copy(unsafe.Slice((**C.char)(mem), len(x)), x)
		arr = (**C.char)(mem)
	}
	var out *C.char
	if err := check(op, func(e **C.weave_error) C.enum_weave_status {
		return fn(a, arr, C.size_t(len(extra)), &out, e)
	}); err != nil {
		return "", err
	}
	return takeString(out), nil
}

// Runnable is a scorer's result for RefFeedbackQuery.AddRunnable, stored as the Python SDK's
// apply_scorer stores it.
type Runnable struct {
	// RunnableRef is the scorer: an op or object version ref (weave:///e/p/op/<name>:<digest>).
	RunnableRef string
	// Output is any JSON value (marshalled; json.RawMessage is sent as is; nil is null).
	Output any
	// CallRef is the call that ran the scorer; required for an op scorer, else "" for none.
	CallRef string
	// TriggerRef is the monitor (an object version ref) that triggered it; "" for none.
	TriggerRef string
}

// AddRunnable adds a scorer's result: type wandb.runnable.<name> after the scorer's name,
// payload {"output": Output}. The server's rules are checked first, with its messages: a ref of
// the wrong kind or without a version is StatusInvalidRef, a scorer named unlike the type or an
// op scorer without CallRef StatusInvalidFeedback. Of the options only Creator applies
// (AnnotationRef is StatusInvalidArgument). Returns the new row's id.
func (q *RefFeedbackQuery) AddRunnable(r Runnable, opts ...AddOption) (string, error) {
	f := NewFeedback{}
	for _, o := range opts {
		o(&f)
	}
	const op = "weave_ref_feedback_query_add_runnable"
	if f.AnnotationRef != "" {
		return "", &Error{Op: op, Status: StatusInvalidArgument,
			Message: "invalid argument: runnable feedback takes no annotation ref"}
	}
	output, ok := r.Output.(json.RawMessage)
	if !ok {
		raw, err := json.Marshal(r.Output)
		if err != nil {
			return "", &Error{Op: op, Status: StatusInvalidArgument, Message: "invalid argument: " + err.Error()}
		}
		output = raw
	}
	var cs cstrs
	defer cs.free()
	a, err := cs.all([]string{r.RunnableRef, string(output), r.CallRef, r.TriggerRef, f.Creator},
		[]bool{false, false, true, true, true})
	if err != nil {
		return "", err
	}
	return q.added(op, func(p *C.weave_ref_feedback_query, id **C.char, e **C.weave_error) C.enum_weave_status {
		return C.weave_ref_feedback_query_add_runnable(p, a[0], a[1], a[2], a[3], a[4], id, e)
	})
}
