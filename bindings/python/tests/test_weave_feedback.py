"""Tests of the installed package against the test server (tests/server/): run by
tests/hosts/run.sh (pip install into a fresh venv, then these), or by hand with
WEAVE_TEST_BASE_URL (and WEAVE_TEST_API_KEY when the server wants one) set:
    python -m unittest discover -v -s bindings/python/tests
"""

import ctypes
import gc
import json
import os
import sys
import threading
import time
import unittest
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import weave_feedback as wf

BASE_URL = os.environ.get("WEAVE_TEST_BASE_URL")
API_KEY = os.environ.get("WEAVE_TEST_API_KEY", "")
if not BASE_URL:
    sys.exit("WEAVE_TEST_BASE_URL is not set: start tests/server/start_server.sh "
             "(tests/hosts/run.sh does)")


def control(path: str, body=None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE_URL + path, data=data,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as res:
        return json.loads(res.read())


def create_requests() -> int:
    return control("/__test/stats")["requests"].get("/feedback/create", 0)


def new_ref(project: str) -> str:
    return f"weave:///python-tests/{project}/call/{uuid.uuid4()}"


class WeaveFeedbackTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = wf.Client(base_url=BASE_URL, api_key=API_KEY)
        self.addCleanup(self.client.close)

    def set_faults(self, **faults) -> None:
        control("/__test/reset", {})
        control("/__test/faults", faults)
        self.addCleanup(control, "/__test/reset", {})

    def rows_by_id(self, query) -> dict:
        with query.execute() as rows:
            out = {r.id: r for r in rows}
            self.assertEqual(len(out), len(rows), "duplicate ids")
            return out

    def assert_error(self, status, fn, *args, http_status=0, **kwargs) -> wf.WeaveError:
        with self.assertRaises(wf.WeaveError) as ctx:
            fn(*args, **kwargs)
        e = ctx.exception
        self.assertEqual(e.status, status)
        self.assertEqual(e.http_status, http_status)
        self.assertTrue(e.message)
        return e

    def test_version_and_statuses(self) -> None:
        self.assertRegex(wf.version(), r"^\d+\.\d+\.\d+$")
        self.assertEqual(int(wf.version().split(".")[0]), wf.ABI_MAJOR)
        # Installed as a package, not imported from the source tree.
        self.assertIn("site-packages", wf.__file__)
        self.assertEqual(wf.Status.INVALID_REF, 2)
        self.assertEqual(wf.Status.INVALID_FEEDBACK, 3)

    def test_add_query_purge(self) -> None:
        ref = new_ref("chatbot")
        with self.client.ref_feedback_query(ref) as q:
            reaction = q.add_reaction("👍", creator="Dana")
            note = q.add_note("Clear and correct answer.")
            score = q.add("helpfulness", {"score": 4})
            self.assertEqual(len({reaction, note, score}), 3)

            rows = self.rows_by_id(q)
            self.assertEqual(set(rows), {reaction, note, score})
            self.assertEqual(rows[reaction].feedback_type, "wandb.reaction.1")
            self.assertEqual(rows[reaction].payload["emoji"], "👍")
            self.assertEqual(rows[reaction].creator, "Dana")
            self.assertEqual(rows[note].feedback_type, "wandb.note.1")
            self.assertEqual(rows[note].payload, {"note": "Clear and correct answer."})
            self.assertIsNone(rows[note].creator)
            self.assertEqual(rows[score].feedback_type, "helpfulness")
            self.assertEqual(rows[score].payload, {"score": 4})
            now = datetime.now(timezone.utc)
            for f in rows.values():
                self.assertEqual(f.weave_ref, ref)
                self.assertEqual(f.project_id, "python-tests/chatbot")
                self.assertLess(abs(now - f.created), timedelta(hours=1))

            with q.execute() as result:
                table = result.table()
                self.assertIn("helpfulness", table)
                self.assertIn(note, table)
                self.assertEqual(len(json.loads(result.to_json())), 3)
                self.assertEqual(result.refs(), [ref])
            self.assertEqual(q.refs(), [ref])
            with self.assertRaises(wf.ClosedError):
                result.table()

            q.purge(note)
            self.assertEqual(set(self.rows_by_id(q)), {reaction, score})
        q.close()  # idempotent
        with self.assertRaises(wf.ClosedError):
            q.execute()

    def test_errors(self) -> None:
        e = self.assert_error(wf.Status.INVALID_REF, self.client.ref_feedback_query, "not a ref")
        self.assertEqual(e.operation, "weave_ref_feedback_query_new")
        self.assertIn("invalid ref", str(e))

        with self.client.ref_feedback_query(new_ref("errors")) as q:
            self.assert_error(wf.Status.INVALID_FEEDBACK, q.add_note, "")
            self.assert_error(wf.Status.INVALID_FEEDBACK, q.add, "wandb.custom")
            self.assert_error(wf.Status.INVALID_ARGUMENT, q.add, "helpfulness", "[1, 2]")
            with self.assertRaises(ValueError):  # would be cut short at the NUL in C
                q.add_note("cut\0short")
            self.assert_error(wf.Status.INVALID_ARGUMENT, self.client.feedback_query,
                              "python-tests", "a/b")
            if API_KEY:  # the server wants a key: without one, 401
                with wf.Client(base_url=BASE_URL, api_key="") as anon, \
                        anon.ref_feedback_query(q.ref) as aq:
                    self.assert_error(wf.Status.UNAUTHORIZED, aq.execute, http_status=401)
            self.assertEqual(self.rows_by_id(q), {})

    def test_retry_after_503(self) -> None:
        self.set_faults(fail_first=1, fail_status=503, routes=["/feedback/create"])
        with wf.Client(base_url=BASE_URL, api_key=API_KEY, retry_base_delay=0.01) as client, \
                client.ref_feedback_query(new_ref("retry")) as q:
            fid = q.add_reaction("🎉")
            rows = self.rows_by_id(q)
            self.assertEqual(list(rows), [fid])
            self.assertEqual(rows[fid].feedback_type, "wandb.reaction.1")
        self.assertEqual(create_requests(), 2, "a 503, then the stored request")

    def test_server_error_after_retries(self) -> None:
        self.set_faults(fail_first=100, fail_status=503, routes=["/feedback/create"])
        with wf.Client(base_url=BASE_URL, api_key=API_KEY, max_retries=1,
                       retry_base_delay=0.001) as client, \
                client.ref_feedback_query(new_ref("retry")) as q:
            e = self.assert_error(wf.Status.SERVER, q.add_note, "never stored", http_status=503)
            self.assertEqual(e.attempts, 2)
            self.assertEqual(len(e.feedback_ids), 1)
            self.assertEqual(len(e.feedback_ids[0]), 36)
            self.assertEqual(self.rows_by_id(q), {})

    def test_threads_share_one_client(self) -> None:
        ref = new_ref("threads")
        ids: list = []
        errors: list = []
        with self.client.ref_feedback_query(ref) as shared:
            def work(t: int) -> None:
                try:
                    with self.client.ref_feedback_query(ref) as q:
                        for i in range(3):
                            ids.append(q.add("helpfulness", {"score": i, "thread": t}))
                    ids.append(shared.add_note(f"from thread {t}"))
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)

            threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            self.assertEqual(errors, [])
            self.assertEqual(len(set(ids)), 24)
            self.assertEqual(set(self.rows_by_id(shared)), set(ids))

    def rounds_seen_during_the_call(self, add) -> int:
        """Runs add(query) on this thread while another Python thread counts the rounds in
        which it saw the add in flight (the server received the create request, delayed 500 ms,
        and the row is not stored yet): possible only if the GIL is free during the call."""
        ref = new_ref("gil")
        self.set_faults(delay_ms=500, delay_first=1, delay_then_process=True,
                        routes=["/feedback/create"])
        seen = 0
        stop = threading.Event()
        with self.client.ref_feedback_query(ref) as probe, self.client.ref_feedback_query(ref) as q:
            def other() -> None:
                nonlocal seen
                while not stop.is_set():
                    received = create_requests() > 0
                    with probe.refresh() as rows:
                        if received and len(rows) == 0:
                            seen += 1

            th = threading.Thread(target=other)
            th.start()
            fid = add(q)
            during = seen
            stop.set()
            th.join()
            self.assertEqual(list(self.rows_by_id(q)), [fid])
        return during

    def test_ctypes_call_releases_the_gil(self) -> None:
        during = self.rounds_seen_during_the_call(lambda q: q.add_note("added, GIL released"))
        self.assertGreater(during, 0, "no Python thread ran while add_note waited")

    def test_pydll_holds_the_gil(self) -> None:
        # The negative control: through ctypes.PyDLL the GIL stays held during the call, and
        # the other thread never sees it in flight. This shows the test above can fail.
        lib = ctypes.PyDLL(wf._lib._name)
        add_note = lib.weave_ref_feedback_query_add_note
        add_note.restype = ctypes.c_int
        add_note.argtypes = wf._ref_query_add_note.argtypes

        def add(q) -> str:
            out = ctypes.c_void_p()
            err = wf._Error()
            with q._lock:
                status = add_note(q._live(), b"added holding the GIL", None, ctypes.byref(out),
                                  ctypes.byref(err))
            self.assertEqual(status, 0)
            return wf._take_string(out)

        self.assertEqual(self.rounds_seen_during_the_call(add), 0)

    def test_finalizers_free_dropped_handles(self) -> None:
        ref = new_ref("gc")
        finalizers = []
        ids = []
        for i in range(5):
            q = self.client.ref_feedback_query(ref)  # never closed
            ids.append(q.add_note(f"note {i}"))
            rows = q.execute()  # never closed either
            finalizers += [q._finalizer, rows._finalizer]
            del q, rows
        gc.collect()
        self.assertFalse(any(f.alive for f in finalizers), "a dropped handle was not freed")
        with self.client.ref_feedback_query(ref) as q:
            self.assertEqual(set(self.rows_by_id(q)), set(ids))

    def test_replace_and_batch(self) -> None:
        fixed = "0192f3a4-5b6c-7d8e-9f01-000000000003"
        with self.client.ref_feedback_query(new_ref("batch")) as q:
            ids = q.add_batch([
                {"feedback_type": "helpfulness", "payload": {"score": 1}, "creator": "Dana"},
                {"feedback_type": "wandb.note.1", "payload": {"note": "batched"}},
                {"feedback_type": "helpfulness", "payload": {"score": 3}, "id": fixed},
            ])
            self.assertEqual(len(ids), 3)
            self.assertEqual(ids[2], fixed)
            rows = self.rows_by_id(q)
            self.assertEqual(set(rows), set(ids))
            self.assertEqual(rows[ids[0]].creator, "Dana")
            self.assertEqual(rows[ids[1]].payload, {"note": "batched"})
            self.assertEqual(json.loads(rows[ids[0]].json)["id"], ids[0])

            self.assertEqual(q.replace(ids[0], "helpfulness", {"score": 5}, creator="Eve"), ids[0])
            rows = self.rows_by_id(q)
            self.assertEqual(rows[ids[0]].payload, {"score": 5})
            self.assertEqual(rows[ids[0]].creator, "Eve")

            self.assert_error(wf.Status.INVALID_FEEDBACK, q.add_batch,
                              [{"feedback_type": "helpfulness"},
                               {"feedback_type": "wandb.note.1", "payload": {"note": ""}}])
            self.assertEqual(len(self.rows_by_id(q)), 3)

    def test_batch_refused_by_the_server_names_every_id(self) -> None:
        self.set_faults(fail_first=100, fail_status=400, routes=["/feedback/batch/create"])
        a, b = "0192f3a4-5b6c-7d8e-9f01-0000000000a1", "0192f3a4-5b6c-7d8e-9f01-0000000000a2"
        with self.client.ref_feedback_query(new_ref("batch")) as q:
            e = self.assert_error(wf.Status.REJECTED, q.add_batch,
                                  [{"feedback_type": "helpfulness", "id": a},
                                   {"feedback_type": "helpfulness", "id": b}], http_status=400)
            self.assertEqual(e.feedback_ids, [a, b])

    def test_project_query(self) -> None:
        project = f"project-{uuid.uuid4().hex}"
        refs = [new_ref(project), new_ref(project)]
        for ref in refs:
            with self.client.ref_feedback_query(ref) as q:
                q.add_note(f"a note on {ref}")
                q.add_reaction("👍")
        notes_only = {"$expr": {"$eq": [{"$getField": "feedback_type"},
                                        {"$literal": "wandb.note.1"}]}}
        with self.client.feedback_query("python-tests", project, query=notes_only,
                                        show_refs=True) as notes:
            with notes.execute() as rows:
                self.assertEqual(len(rows), 2)
                self.assertEqual(sorted(rows.refs()), sorted(refs))
                self.assertIn(refs[0], rows.table())
            self.assertEqual(sorted(notes.refs()), sorted(refs))
        with self.client.feedback_query("python-tests", project, offset=1, limit=3) as limited:
            with limited.refresh() as rows:
                self.assertEqual(len(rows), 3)

    # ------------------------------------------------------------------ pages (cursor)

    def seed_project(self, n: int):
        project = f"pages-{uuid.uuid4().hex}"
        q = self.client.ref_feedback_query(new_ref(project))
        self.addCleanup(q.close)
        ids = q.add_batch([{"feedback_type": "helpfulness", "payload": {"score": i}}
                           for i in range(n)])
        self.assertEqual(len(ids), n)
        return project, q, ids

    def walk(self, pages, page_size: int, between=None) -> list:
        """The ids of every page, in order, checking each page's size and the (created_at, id)
        order; `between` runs after the first page."""
        seen, last = [], None
        for number, page in enumerate(pages):
            with page:
                self.assertTrue(1 <= len(page) <= page_size, f"page {number}: {len(page)} rows")
                for row in page:
                    key = (row.created, row.id)
                    self.assertTrue(last is None or key > last, f"{key} after {last}")
                    seen.append(row.id)
                    last = key
            if number == 0 and between:
                between()
        return seen

    def query_requests(self) -> int:
        return control("/__test/stats")["requests"].get("/feedback/query", 0)

    def test_pages_walk_every_row_once(self) -> None:
        """23 rows in pages of 5: every row exactly once, in order, although a row of the first
        page is purged and a row is added after it."""
        project, ref, ids = self.seed_project(23)
        added = []
        with self.client.feedback_query("python-tests", project) as q:
            before = self.query_requests()
            pages = q.pages(5)
            seen = self.walk(pages, 5, lambda: (ref.purge(ids[0]),
                                                added.append(ref.add_note("added meanwhile"))))
        self.assertEqual(sorted(seen), sorted(ids + added))  # each once: no skip, no repeat
        self.assertEqual(seen[-1], added[0], "the row added during the walk is not last")
        # 24 rows: four full pages, then a short one, which ends the walk.
        self.assertEqual(self.query_requests() - before, 5)
        self.assertTrue(pages.closed, "the finished walk did not free its cursor")
        self.assertEqual(list(pages), [])

    def test_pages_offset_limit_and_errors(self) -> None:
        project, _, ids = self.seed_project(12)
        with self.client.feedback_query("python-tests", project) as q:
            in_order = self.walk(q.pages(12), 12)
            self.assertEqual(sorted(in_order), sorted(ids))
            self.assert_error(wf.Status.INVALID_ARGUMENT, q.pages, 0)
            self.assertRaises(ValueError, q.pages, -1)
        # Offset and limit bound the whole walk, not each page.
        with self.client.feedback_query("python-tests", project, offset=2, limit=7) as q:
            self.assertEqual(self.walk(q.pages(3), 3), in_order[2:9])
            with q.pages(3) as pages:
                pass
            self.assertRaises(wf.ClosedError, next, pages)

        # A failed page raises WeaveError and ends the walk.
        with wf.Client(base_url=BASE_URL, api_key=API_KEY, max_retries=0) as client:
            with client.feedback_query("python-tests", project) as q:
                pages = q.pages(4)
                self.assertEqual(len(next(pages)), 4)
                self.set_faults(fail_first=100, fail_status=500, routes=["/feedback/query"])
                self.assert_error(wf.Status.SERVER, next, pages, http_status=500)
                self.assertRaises(StopIteration, next, pages)
                self.assertTrue(pages.closed)

    def test_client_options(self) -> None:
        e = self.assert_error(wf.Status.INVALID_ARGUMENT, wf.Client,
                              base_url="http://weave.invalid", api_key="k")
        self.assertIn("http://", e.message)
        wf.Client(base_url="http://weave.invalid", api_key="k", allow_insecure_http=True,
                  timeout=1, max_retries=0, retry_base_delay=0.001, deadline=1).close()
        self.assert_error(wf.Status.INVALID_ARGUMENT, wf.Client, base_url="ftp://x")
        self.assert_error(wf.Status.INVALID_ARGUMENT, wf.Client, max_response_bytes=0)

        # An answer over the cap is a decode error; the same query with room succeeds.
        ref = new_ref("cap")
        with wf.Client(base_url=BASE_URL, api_key=API_KEY, max_response_bytes=1 << 20) as roomy, \
                roomy.ref_feedback_query(ref) as q:
            q.add_note("a note that makes the query's answer larger than 64 bytes")
            self.assertEqual(len(self.rows_by_id(q)), 1)
        with wf.Client(base_url=BASE_URL, api_key=API_KEY, max_response_bytes=64) as small, \
                small.ref_feedback_query(ref) as q:
            e = self.assert_error(wf.Status.DECODE, q.execute)
            self.assertIn("64", e.message)

        # The deadline bounds the whole call: every attempt is delayed 1.5 s.
        self.set_faults(delay_ms=1500, routes=["/feedback/query"])
        with wf.Client(base_url=BASE_URL, api_key=API_KEY, deadline=0.3, max_retries=5) as c, \
                c.ref_feedback_query(new_ref("deadline")) as q:
            start = time.monotonic()
            self.assert_error(wf.Status.TIMEOUT, q.execute)
            self.assertLess(time.monotonic() - start, 1.2)


if __name__ == "__main__":
    unittest.main()
