"""Reading by id, query settings, a query as a sequence, sort and fields, refs from parts and
scorer feedback: the checks of tests/c/reading.c and tests/c/writing.c, through the installed
package, against the test server (see test_weave_feedback.py)."""

import unittest
import uuid

import weave_feedback as wf
from test_weave_feedback import API_KEY, BASE_URL, control, new_ref

UP = "👍"


def query_requests() -> int:
    return control("/__test/stats")["requests"].get("/feedback/query", 0)


def shows_refs(rows: wf.Feedbacks) -> bool:
    with rows:
        return rows.table().startswith("Ref ")


class ReadingTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = wf.Client(base_url=BASE_URL, api_key=API_KEY)
        self.addCleanup(self.client.close)

    def seed(self):
        """On call A of a new project: 👍 (Dana), a note, 👎, scores 3 and 10; on call B: 👍.
        Returns the project, the query on A (closed at cleanup) and the ids."""
        project = f"reading-{uuid.uuid4().hex[:12]}"
        a = self.client.ref_feedback_query(new_ref(project))
        self.addCleanup(a.close)
        with self.client.ref_feedback_query(new_ref(project)) as b:
            ids = {"up": a.add_reaction(UP, creator="Dana"), "note": a.add_note("fine"),
                   "down": a.add_reaction("👎"), "up_b": b.add_reaction(UP),
                   "s3": a.add("score", {"score": 3}), "s10": a.add("score", {"score": 10})}
        return project, a, ids

    def test_get_feedback_by_id(self) -> None:
        project, _, ids = self.seed()
        row = self.client.get_feedback("python-tests", project, ids["note"])
        self.assertIsInstance(row, wf.Feedback)
        self.assertEqual((row.id, row.payload), (ids["note"], {"note": "fine"}))
        with self.assertRaises(wf.WeaveError) as cm:
            self.client.get_feedback("python-tests", project, "0192f3a4-0000-7000-8000-000000000000")
        self.assertEqual((cm.exception.status, cm.exception.http_status), (wf.Status.NOT_FOUND, 0))
        self.assertTrue(cm.exception.message.startswith("not found: no feedback with id 0192f3a4-"))
        with self.assertRaises(wf.WeaveError) as cm:
            self.client.get_feedback("python-tests", project, "")
        self.assertEqual(cm.exception.status, wf.Status.INVALID_ARGUMENT)

    def test_query_as_sequence_and_settings(self) -> None:
        project, a, ids = self.seed()
        with self.client.feedback_query("python-tests", project, offset=0, limit=100,
                                        show_refs=True) as q:
            q.set_reaction(UP)
            rows = q.execute()
            self.assertEqual([r.id for r in rows], [ids["up"], ids["up_b"]])
            self.assertTrue(shows_refs(rows))
            q.set_reaction(None)

            before = query_requests()
            self.assertEqual(len(q), 6)
            self.assertEqual(q[-1].id, ids["s10"])
            self.assertEqual(q[-6].id, ids["up"])
            self.assertEqual((q[1].id, q[1].feedback_type), (ids["note"], "wandb.note.1"))
            for index in (6, -7):
                with self.assertRaises(IndexError):
                    q[index]
            with self.assertRaises(TypeError):
                q[0:2]  # type: ignore[index]
            self.assertEqual([r.id for r in q][:2], [ids["up"], ids["note"]])  # iterates by q[i]
            self.assertEqual(query_requests() - before, 1, "len() and q[i] must share one fetch")

            q.set_offset(4)
            q.set_limit(None)
            q.set_show_refs(False)
            rows = q.execute()
            self.assertEqual([r.id for r in rows], [ids["s3"], ids["s10"]])
            self.assertFalse(shows_refs(rows))
            q.set_limit(1)
            self.assertEqual(len(q), 1)

        a.set_offset(1)
        a.set_limit(1)
        rows = a.execute()
        self.assertEqual([r.id for r in rows], [ids["note"]])
        self.assertFalse(shows_refs(rows))
        a.set_offset(None)
        a.set_limit(None)
        a.set_show_refs(True)
        self.assertEqual(len(a), 5)
        self.assertEqual(a[-1].id, ids["s10"])
        with self.assertRaises(IndexError):
            a[5]
        self.assertTrue(shows_refs(a.execute()))

        a.close()
        with self.assertRaises(wf.ClosedError):
            len(a)
        with self.assertRaises(wf.ClosedError):
            a.set_limit(1)

    def test_sort_by_and_fields(self) -> None:
        project, _, ids = self.seed()
        q = self.client.feedback_query("python-tests", project)
        self.addCleanup(q.close)
        q.set_sort_by([{"field": "created_at", "direction": "desc"}])
        self.assertEqual(q[0].id, ids["s10"])
        with self.assertRaises(wf.WeaveError) as cm:
            q.pages(10)
        self.assertIn("sort_by", cm.exception.message)
        with self.assertRaises(wf.WeaveError) as cm:
            q.set_sort_by([{"field": "nope", "direction": "asc"}])
        self.assertEqual(cm.exception.status, wf.Status.INVALID_ARGUMENT)
        self.assertIn("Unknown field: nope", cm.exception.message)
        with self.assertRaises(wf.WeaveError):
            q.set_sort_by([{"field": "id", "direction": "ASC"}])
        self.assertEqual(q[0].id, ids["s10"], "a refused setting changed nothing")
        q.set_sort_by([])
        self.assertEqual(len(q), 6)
        q.set_sort_by(None)
        self.assertEqual(q[0].id, ids["up"])
        q.pages(10).close()

        scores = self.client.feedback_query("python-tests", project, query={"$expr": {"$eq": [
            {"$getField": "feedback_type"}, {"$literal": "score"}]}})
        self.addCleanup(scores.close)
        scores.set_fields(["id", "payload.score"])
        self.assertEqual(scores.fetch_projected(), [{"id": ids["s3"], "payload.score": 3},
                                                    {"id": ids["s10"], "payload.score": 10}])
        with self.assertRaises(wf.WeaveError) as cm:
            scores.execute()
        self.assertIn("fetch_projected", cm.exception.message)
        with self.assertRaises(wf.WeaveError):
            len(scores)
        with self.assertRaises(wf.WeaveError):
            scores.set_fields(["nope"])
        scores.set_fields(None)
        self.assertEqual(len(scores), 2)
        self.assertEqual([r["feedback_type"] for r in scores.fetch_projected()], ["score"] * 2)

    def test_refs_from_parts(self) -> None:
        self.assertEqual(wf.call_ref("acme", "chatbot", "0192f3a4"),
                         "weave:///acme/chatbot/call/0192f3a4")
        self.assertEqual(
            wf.object_ref("acme", "chatbot", "eval-set", "v3", "attr", "rows", "id", "row/7 é%"),
            "weave:///acme/chatbot/object/eval-set:v3/attr/rows/id/row%2F7%20%C3%A9%25")
        self.assertEqual(wf.op_ref("acme", "chatbot", "judge", "abc", "key", "a:b"),
                         "weave:///acme/chatbot/op/judge:abc/key/a%3Ab")
        self.assertEqual(wf.table_ref("acme", "chatbot", "Kp2"), "weave:///acme/chatbot/table/Kp2")
        for build in (lambda: wf.call_ref("", "p", "x"), lambda: wf.call_ref("e", "p", "a/b"),
                      lambda: wf.object_ref("e", "p", "a:b", "v"), lambda: wf.op_ref("e", "p", "a", ""),
                      lambda: wf.table_ref("e", "p", "d:1")):
            with self.assertRaises(wf.WeaveError) as cm:
                build()
            self.assertEqual(cm.exception.status, wf.Status.INVALID_ARGUMENT)
        with self.assertRaises(ValueError):
            wf.call_ref("e", "p", "x", "key", "a\0b")

        ref = wf.call_ref("python-tests", "built", str(uuid.uuid4()))
        with self.client.ref_feedback_query(ref) as q:
            q.add_note("on a built ref")
            self.assertEqual(q[0].weave_ref, ref)

    def test_add_runnable(self) -> None:
        project = f"runnable-{uuid.uuid4().hex[:12]}"
        call, scoring_call = new_ref(project), new_ref(project)
        judge_op = wf.op_ref("python-tests", project, "judge", "abc")
        judge_obj = wf.object_ref("python-tests", project, "judge", "abc")
        with self.client.ref_feedback_query(call) as q:
            op_id = q.add_runnable(judge_op, {"score": 0.5}, call_ref=scoring_call,
                                   trigger_ref=judge_obj, creator="ci")
            label_id = q.add_runnable(judge_obj, "good")  # a str output is a JSON string
            for scorer, status in ((judge_op, wf.Status.INVALID_FEEDBACK),  # an op needs call_ref
                                   (call, wf.Status.INVALID_REF)):
                with self.assertRaises(wf.WeaveError) as cm:
                    q.add_runnable(scorer, 1)
                self.assertEqual(cm.exception.status, status)
            rows = {r.id: r for r in q.execute()}
        self.assertEqual(len(rows), 2)
        r = rows[op_id]
        self.assertEqual((r.feedback_type, r.payload, r.runnable_ref, r.call_ref, r.trigger_ref,
                          r.creator),
                         ("wandb.runnable.judge", {"output": {"score": 0.5}}, judge_op,
                          scoring_call, judge_obj, "ci"))
        label = rows[label_id]
        self.assertEqual((label.payload, label.runnable_ref, label.call_ref),
                         ({"output": "good"}, judge_obj, None))


if __name__ == "__main__":
    unittest.main()
