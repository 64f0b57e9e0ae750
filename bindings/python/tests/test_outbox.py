"""The durable outbox, as tests/c/outbox.c checks it from C, through the installed package,
against the test server (see test_weave_feedback.py): adds queued while no server answers, a
full outbox, a flush past its deadline, a second client on the same file delivering
everything, a refused row kept as a dead letter, the counters, 401 keeping rows queued, and a
client without an outbox."""

import os
import pathlib
import socket
import tempfile
import time
import unittest
import uuid

import weave_feedback as wf
from test_weave_feedback import API_KEY, BASE_URL, new_ref


def down_url() -> str:
    """A loopback URL nobody listens on: a port the system just gave out and took back."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class OutboxTest(unittest.TestCase):
    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.path = os.path.join(tmp.name, "outbox.db")

    def client(self, url: str, max_rows: int, api_key: str = API_KEY) -> wf.Client:
        c = wf.Client(base_url=url, api_key=api_key, retry_base_delay=0.001,
                      outbox_path=self.path, outbox_max_rows=max_rows, outbox_lease=30)
        self.addCleanup(c.close)
        return c

    def stored(self, client: wf.Client, ref: str) -> dict:
        """The rows on ref by id; fails on a duplicate id."""
        with client.ref_feedback_query(ref) as q, q.execute() as rows:
            out = {r.id: r for r in rows}
            self.assertEqual(len(out), len(rows), "duplicate ids")
            return out

    def test_queued_while_down_then_flushed(self) -> None:
        project = f"outbox-{uuid.uuid4().hex[:12]}"
        ref = new_ref(project)

        # No server: adds succeed with their ids, until the outbox is full.
        with self.client(down_url(), 3) as offline:
            with offline.ref_feedback_query(ref) as q:
                ids = [q.add_note("kept"), q.add_reaction("👍", creator="Dana"),
                       q.add("helpfulness", {"score": 4})]
                with self.assertRaises(wf.WeaveError) as full:
                    q.add_note("one too many")
            self.assertEqual(full.exception.status, wf.Status.OUTBOX_FULL)
            self.assertIn("outbox full", full.exception.message)
            self.assertEqual(offline.outbox_pending(), 3)
            with self.assertRaises(wf.WeaveError) as late:
                offline.flush(0.2)
            self.assertEqual(late.exception.status, wf.Status.TIMEOUT)
            self.assertEqual(late.exception.pending, 3)
            self.assertEqual(offline.outbox_counters(), wf.OutboxCounters(3, 0, 0, 0))

        # The server is there for a new client of the same file: one flush delivers everything.
        online = self.client(BASE_URL, 100)
        self.assertEqual(online.flush(60), 0)
        rows = self.stored(online, ref)
        self.assertEqual(set(rows), set(ids))

        # A row the server refuses (two emoji): the add succeeds, then it is a dead letter.
        with online.ref_feedback_query(ref) as q:
            refused = q.add_reaction("👍👍")
        self.assertNotIn(refused, self.stored(online, ref))
        dead = online.dead_letters()
        self.assertEqual([d["id"] for d in dead], [refused])
        self.assertEqual(dead[0]["http_status"], 400)
        self.assertIn("exactly one emoji", dead[0]["reason"])
        self.assertEqual(dead[0]["project_id"], f"python-tests/{project}")
        self.assertEqual(dead[0]["request"]["weave_ref"], ref)
        self.assertLess(abs(dead[0]["failed_at_ms"] / 1000 - time.time()), 3600)
        # retried: the offline client's tries had claimed the three rows before.
        self.assertEqual(online.outbox_counters(), wf.OutboxCounters(queued=1, delivered=3,
                                                                     retried=3, dead=1))
        with self.assertRaises(wf.WeaveError) as empty:
            online.purge_dead_letters("")
        self.assertEqual(empty.exception.status, wf.Status.INVALID_ARGUMENT)
        self.assertEqual(online.purge_dead_letters(refused), 1)
        self.assertEqual(online.dead_letters(), [])
        self.assertEqual(online.purge_dead_letters(), 0)

    @unittest.skipUnless(API_KEY, "the test server takes any key: WEAVE_TEST_API_KEY is not set")
    def test_unauthorized_keeps_rows_queued(self) -> None:
        ref = new_ref("outbox")
        with self.client(down_url(), 10) as offline, offline.ref_feedback_query(ref) as q:
            feedback_id = q.add_note("waits for a key")
        with self.client(BASE_URL, 10, api_key="not-" + API_KEY) as wrong_key:
            with self.assertRaises(wf.WeaveError) as denied:
                wrong_key.flush(60)
            self.assertEqual(denied.exception.status, wf.Status.UNAUTHORIZED)
            self.assertEqual(denied.exception.http_status, 401)
            self.assertEqual(denied.exception.pending, 1)
            self.assertEqual(wrong_key.dead_letters(), [])
        online = self.client(BASE_URL, 10)
        self.assertEqual(online.flush(60), 0)
        self.assertIn(feedback_id, self.stored(online, ref))

    def test_options_and_no_outbox(self) -> None:
        for bad in ({"outbox_max_rows": 0}, {"outbox_lease": 0}):
            with self.assertRaises(wf.WeaveError) as refused:
                wf.Client(base_url=BASE_URL, outbox_path=self.path, **bad)
            self.assertEqual(refused.exception.status, wf.Status.INVALID_ARGUMENT)
        with self.assertRaises(ValueError):
            wf.Client(base_url=BASE_URL, outbox_path=self.path, outbox_max_rows=-1)
        with wf.Client(base_url=BASE_URL, outbox_path=pathlib.Path(self.path)) as pathlike:
            self.assertEqual(pathlike.outbox_pending(), 0)

        with wf.Client(base_url=BASE_URL, api_key=API_KEY) as plain:
            self.assertEqual(plain.flush(0), 0)
            self.assertEqual(plain.outbox_pending(), 0)
            self.assertEqual(plain.dead_letters(), [])
            self.assertEqual(plain.outbox_counters(), wf.OutboxCounters(0, 0, 0, 0))
        with self.assertRaises(wf.ClosedError):
            plain.flush(1)


if __name__ == "__main__":
    unittest.main()
