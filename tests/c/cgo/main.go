// Checks that the header reads in Go as the contract promises (see the header's conventions): statuses are
// `C.enum_weave_status`, constants compare with them, handle typedefs and struct tags are the
// same type. Built and run by tests/c/run.sh when `go` is installed, with
// CGO_CFLAGS=-I<repo>/include and CGO_LDFLAGS=<repo>/target/debug/libweave_feedback.a -lpthread -ldl -lm.
package main

/*
#include <stdlib.h>
#include "weave_feedback.h"
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

func main() {
	failed := 0
	check := func(ok bool, what string) {
		if !ok {
			failed++
			fmt.Fprintln(os.Stderr, "cgo check failed:", what)
		}
	}

	var c *C.weave_client
	var err *C.weave_error
	var st C.enum_weave_status = C.weave_client_new(nil, &c, &err)
	check(st == C.WEAVE_STATUS_OK, "weave_client_new(nil) is WEAVE_STATUS_OK")
	check(err == nil, "no error on success")
	var tagged *C.struct_weave_client = c // the typedef and the struct tag are one type
	check(C.GoString(C.weave_status_str(st)) == "ok", "weave_status_str")
	check(C.GoString(C.weave_status_str(99)) != "", "weave_status_str(99)")

	ref := C.CString("not a ref")
	defer C.free(unsafe.Pointer(ref))
	var q *C.weave_ref_feedback_query
	st = C.weave_ref_feedback_query_new(tagged, ref, &q, &err)
	check(st == C.WEAVE_STATUS_INVALID_REF, "an invalid ref gives WEAVE_STATUS_INVALID_REF")
	check(C.weave_error_status(err) == st, "weave_error_status matches")
	check(uint16(C.weave_error_http_status(err)) == 0, "no HTTP status")
	check(q == nil, "out-parameter untouched on failure")
	C.weave_error_free(err)
	C.weave_client_free(c)

	if failed > 0 {
		fmt.Printf("cgo: %d failed\n", failed)
		os.Exit(1)
	}
	fmt.Println("cgo: header works from Go (C.enum_weave_status, C.weave_client)")
}
