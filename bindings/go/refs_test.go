package weavefeedback

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

func TestBuildRefs(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{must(BuildCallRef("acme", "chatbot", "0192f3a4")), "weave:///acme/chatbot/call/0192f3a4"},
		{must(BuildObjectRef("acme", "chatbot", "eval-set", "v3", "attr", "rows", "id", "row/7 é%")),
			"weave:///acme/chatbot/object/eval-set:v3/attr/rows/id/row%2F7%20%C3%A9%25"},
		{must(BuildOpRef("acme", "chatbot", "judge", "abc", "key", "a:b")), "weave:///acme/chatbot/op/judge:abc/key/a%3Ab"},
		{must(BuildTableRef("acme", "chatbot", "Kp2")), "weave:///acme/chatbot/table/Kp2"},
	} {
		if c.got != c.want {
			t.Errorf("got  %s\nwant %s", c.got, c.want)
		}
	}
	for name, err := range map[string]error{
		"empty entity":     second(BuildCallRef("", "p", "x")),
		"/ in the call id": second(BuildCallRef("e", "p", "a/b")),
		": in the name":    second(BuildObjectRef("e", "p", "a:b", "v")),
		"empty version":    second(BuildOpRef("e", "p", "a", "")),
		": in the digest":  second(BuildTableRef("e", "p", "d:1")),
		"NUL in a part":    second(BuildCallRef("e", "p", "x", "key", "a\x00b")),
	} {
		t.Run(name, func(t *testing.T) { wantError(t, err, StatusInvalidArgument, 0) })
	}

	// A built ref is a ref the library takes: feedback added on it reads back under it.
	client := newClient(t)
	defer client.Close()
	ref := must(BuildCallRef("go-tests", "built", fmt.Sprintf("0192f3a4-%d", time.Now().UnixNano())))
	q := must(client.RefFeedbackQuery(ref))
	defer q.Close()
	must(q.AddNote("on a built ref"))
	if r := must(q.Get(0)); r.WeaveRef != ref {
		t.Errorf("stored under %q, built %q", r.WeaveRef, ref)
	}
}

// second is the error of a two-result call.
func second(_ string, err error) error { return err }

func TestAddRunnable(t *testing.T) {
	client := newClient(t)
	defer client.Close()
	project := fmt.Sprintf("runnable-%d", time.Now().UnixNano())
	call, scoringCall := newRef(t, project), newRef(t, project)
	judgeOp := must(BuildOpRef("go-tests", project, "judge", "abc"))
	judgeObj := must(BuildObjectRef("go-tests", project, "judge", "abc"))
	q := must(client.RefFeedbackQuery(call))
	defer q.Close()

	id := must(q.AddRunnable(Runnable{RunnableRef: judgeOp, Output: map[string]any{"score": 0.5},
		CallRef: scoringCall, TriggerRef: judgeObj}, Creator("ci")))
	objID := must(q.AddRunnable(Runnable{RunnableRef: judgeObj, Output: json.RawMessage(`[1, 2]`)}))

	// Refused before sending: an op scorer without a call, bad JSON, a call as the scorer, an
	// annotation ref.
	_, err := q.AddRunnable(Runnable{RunnableRef: judgeOp, Output: 1})
	wantError(t, err, StatusInvalidFeedback, 0)
	_, err = q.AddRunnable(Runnable{RunnableRef: judgeObj, Output: json.RawMessage(`{oops`)})
	wantError(t, err, StatusInvalidArgument, 0)
	_, err = q.AddRunnable(Runnable{RunnableRef: call, Output: 1})
	wantError(t, err, StatusInvalidRef, 0)
	_, err = q.AddRunnable(Runnable{RunnableRef: judgeObj, Output: 1}, AnnotationRef(judgeObj))
	wantError(t, err, StatusInvalidArgument, 0)

	rows := rowsByID(t, q)
	if len(rows) != 2 {
		t.Fatalf("want the 2 scorer rows, got %v", rows)
	}
	r := rows[id]
	if r.FeedbackType != "wandb.runnable.judge" || string(r.Payload) != `{"output":{"score":0.5}}` ||
		r.RunnableRef != judgeOp || r.CallRef != scoringCall || r.TriggerRef != judgeObj || r.Creator != "ci" {
		t.Errorf("op scorer row %+v", r)
	}
	o := rows[objID]
	if string(o.Payload) != `{"output":[1,2]}` || o.RunnableRef != judgeObj || o.CallRef != "" || o.TriggerRef != "" {
		t.Errorf("object scorer row %+v", o)
	}
}
