#!/usr/bin/env python3
"""Smoke test for weave_test_server.py, standard library only (urllib / http.client).

Usage: python3 check_server.py [--python PATH] [--quiet]
The server is run with PATH, else $WEAVE_TEST_PYTHON, else the python printed by setup_venv.sh.
Prints each check, the observed answers worth knowing, and `N passed, M failed` at the end.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REF = "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd"
PROJECT = "acme/chatbot"
NULLS = {
    "id": None, "creator": None, "annotation_ref": None, "runnable_ref": None,
    "call_ref": None, "trigger_ref": None, "queue_id": None, "wb_user_id": None,
}

passed = 0
failed = 0
quiet = False


def check(name: str, cond: bool, detail: object = "") -> bool:
    global passed, failed
    if cond:
        passed += 1
        if not quiet:
            print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")
    return cond


def observe(what: str, status: int, body: object) -> None:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    if len(text) > 300:
        text = text[:300] + "..."
    print(f"     observed {what}: {status} {text}")


class Server:
    def __init__(self, python: str, *args: str) -> None:
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [python, os.path.join(HERE, "weave_test_server.py"), "--port", "0", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        line = self.proc.stdout.readline().decode()
        if not line.startswith("LISTENING "):
            self.proc.kill()
            raise SystemExit(f"server did not start: {line!r}\n{self.proc.stderr.read().decode()}")
        self.startup = time.monotonic() - t0
        self.port = int(line.split()[1])
        self.base = f"http://127.0.0.1:{self.port}"

    def call(self, path: str, body: object = None, method: str | None = None,
             headers: dict | None = None, timeout: float = 30, raw: bytes | None = None
             ) -> tuple[int, object, dict]:
        data = raw if raw is not None else (
            None if body is None else json.dumps(body, ensure_ascii=False).encode()
        )
        req = urllib.request.Request(self.base + path, data=data, method=method or (
            "GET" if data is None else "POST"), headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, text, hdrs = r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as e:
            status, text, hdrs = e.code, e.read().decode(), dict(e.headers)
        try:
            return status, json.loads(text), hdrs
        except ValueError:
            return status, text, hdrs

    def post(self, path: str, body: object, **kw: object) -> tuple[int, object]:
        s, b, _ = self.call(path, body, **kw)
        return s, b

    def faults(self, cfg: dict) -> None:
        assert self.post("/__test/faults", cfg)[0] == 200

    def reset(self) -> None:
        assert self.post("/__test/reset", {})[0] == 200

    def stats(self) -> dict:
        return self.call("/__test/stats")[1]  # type: ignore[return-value]

    def stop(self, how: str = "eof") -> int:
        if how == "eof":
            self.proc.stdin.close()
        else:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -999


def create_req(**kw: object) -> dict:
    r = {"project_id": PROJECT, "weave_ref": REF, "feedback_type": "wandb.reaction.1",
         "payload": {"emoji": "🎉"}, **NULLS}
    r.update(kw)
    return r


def by_id_query(fid: str) -> dict:
    return {"$expr": {"$eq": [{"$getField": "id"}, {"$literal": fid}]}}


def query(s: Server, **kw: object) -> tuple[int, object]:
    body = {"project_id": PROJECT, "fields": None, "query": None, "sort_by": None,
            "limit": None, "offset": None}
    body.update(kw)
    return s.post("/feedback/query", body)


def rows(s: Server, fid: str) -> list:
    st, b = query(s, query=by_id_query(fid))
    assert st == 200, b
    return b["result"]  # type: ignore[index]


def expect_conn_error(fn) -> str | None:
    try:
        fn()
    except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine,
            socket.timeout, TimeoutError, urllib.error.URLError) as e:
        return type(e).__name__
    return None


def find_python(arg: str | None) -> str:
    if arg:
        return arg
    if os.environ.get("WEAVE_TEST_PYTHON"):
        return os.environ["WEAVE_TEST_PYTHON"]
    out = subprocess.run(["bash", os.path.join(HERE, "setup_venv.sh")], check=True,
                         stdout=subprocess.PIPE).stdout.decode().strip().splitlines()
    return out[-1]


def main() -> int:
    global quiet
    ap = argparse.ArgumentParser()
    ap.add_argument("--python")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    quiet = a.quiet
    python = find_python(a.python)

    s = Server(python)
    print(f"     server start-up (direct spawn): {s.startup:.2f} s")

    # --- handshake and routing
    st, b, _ = s.call("/server_info")
    check("GET /server_info", st == 200 and "min_required_weave_python_version" in b, b)
    observe("server_info", st, b)
    st, b = s.post("/nope", {})
    check("unknown route -> 404 Not Found", (st, b) == (404, {"detail": "Not Found"}), (st, b))
    st, b, _ = s.call("/feedback/create")
    check("GET on POST route -> 405", st == 405, (st, b))

    # --- create / query / purge
    st, b = s.post("/feedback/create", create_req(creator="Dana"))
    check("create reaction -> 200", st == 200, (st, b))
    fid = b.get("id") if isinstance(b, dict) else None
    check("create stamps wb_user_id test-user", isinstance(b, dict) and b.get("wb_user_id") == "test-user", b)
    check("create returns enriched payload", isinstance(b, dict) and b["payload"].get("alias") == ":party_popper:", b)
    q = {"$expr": {"$eq": [{"$getField": "weave_ref"}, {"$literal": REF}]}}
    st, b = query(s, query=q, sort_by=[{"field": "created_at", "direction": "asc"}])
    res = b.get("result", []) if isinstance(b, dict) else []
    check("query by weave_ref finds it", st == 200 and len(res) == 1 and res[0]["id"] == fid, b)
    check("queried payload has alias", res and res[0]["payload"].get("alias") == ":party_popper:", b)
    check("queried project_id/wb_user_id are external",
          res and res[0]["project_id"] == PROJECT and res[0]["wb_user_id"] == "test-user", b)
    check("queried weave_ref rewritten back", res and res[0]["weave_ref"] == REF, b)
    if res:
        print(f"     observed created_at in query: {res[0]['created_at']!r}")
    st, b = s.post("/feedback/purge", {"project_id": PROJECT, "query": by_id_query(fid)})
    check("purge by id -> 200 {}", (st, b) == (200, {}), (st, b))
    check("purged row gone", rows(s, fid) == [])

    # --- duplicate explicit id
    dup = "0192f3c1-0000-7abc-8def-000000000001"
    st1, b1 = s.post("/feedback/create", create_req(id=dup))
    st2, b2 = s.post("/feedback/create", create_req(id=dup, payload={"emoji": "👍"}))
    n = len(rows(s, dup))
    check("duplicate explicit id: both creates answer 200", st1 == 200 and st2 == 200, (st1, b1, st2, b2))
    print(f"     observed duplicate id create: {st1} then {st2}; rows with that id: {n}")

    # --- replace
    st, b = s.post("/feedback/replace", {**create_req(id=dup, feedback_type="wandb.note.1",
                                                      payload={"note": "Fixed typo"}),
                                         "feedback_id": dup})
    check("replace -> 200 with new payload", st == 200 and b["payload"] == {"note": "Fixed typo"}, (st, b))
    r = rows(s, dup)
    check("replace leaves exactly one row", len(r) == 1 and r[0]["feedback_type"] == "wandb.note.1", r)
    st, b = s.post("/feedback/replace", {**create_req(id=None, wb_user_id=None), "feedback_id": "missing"})
    check("replace of missing id still creates", st == 200, (st, b))

    # --- batch create
    items = [create_req(id=f"0192f3c1-0000-7abc-8def-00000000010{i}", feedback_type="helpfulness",
                        payload={"score": i}) for i in range(2)]
    st, b = s.post("/feedback/batch/create", {"batch": items})
    check("batch create -> 200, 2 results", st == 200 and len(b["res"]) == 2, (st, b))
    if st == 200:
        print(f"     observed batch res wb_user_id: {b['res'][0]['wb_user_id']!r} (internal id; not mapped back)")
    check("batch rows stored", len(rows(s, items[1]["id"])) == 1)
    st, b = s.post("/feedback/batch/create", {"batch": []})
    check("empty batch -> {res: []}", (st, b) == (200, {"res": []}), (st, b))
    bad = [items[0] | {"id": "0192f3c1-0000-7abc-8def-000000000201"},
           create_req(feedback_type="wandb.note.1", payload={"note": ""})]
    st, b = s.post("/feedback/batch/create", {"batch": bad})
    check("batch with an invalid item -> 400, nothing stored",
          st == 400 and rows(s, "0192f3c1-0000-7abc-8def-000000000201") == [], (st, b))

    # --- validation answers
    st, b = s.post("/feedback/create", create_req(feedback_type="wandb.note.1", payload={"note": ""}))
    check("empty note -> 400", st == 400, (st, b))
    observe("empty note", st, b)
    st, b = s.post("/feedback/create", create_req(payload={"emoji": "ok"}))
    check("emoji 'ok' -> 400", st == 400, (st, b))
    observe("emoji 'ok'", st, b)
    st, b = s.post("/feedback/create", create_req(payload={"emoji": "ok👍"}))
    check("emoji 'ok👍' -> 200 alias ok:thumbs_up:", st == 200 and b["payload"]["alias"] == "ok:thumbs_up:", (st, b))
    st, b = s.post("/feedback/create", create_req(payload={"emoji": "👍🏽"}))
    check("skin tone detoned", st == 200 and b["payload"]["detoned_alias"] == ":thumbs_up:", (st, b))
    big = "x" * (1 << 20)
    st, b = s.post("/feedback/create", create_req(feedback_type="custom", payload={"blob": big}))
    check("1 MiB payload -> 400 too large", st == 400, (st, b))
    observe("1 MiB payload", st, b)
    just = "x" * ((1 << 20) - len('{"blob": ""}'))
    st, b = s.post("/feedback/create", create_req(feedback_type="custom", payload={"blob": just}))
    check("payload of exactly 1 MiB (json.dumps length) -> 200", st == 200, (st, str(b)[:200]))
    st, b = s.post("/feedback/create", create_req(feedback_type="custom", payload={"blob": just + "x"}))
    check("payload 1 MiB + 1 -> 400", st == 400, (st, b))
    st, b = s.post("/feedback/purge", {"project_id": PROJECT, "query": {"$expr": {"$in": [
        {"$getField": "id"}, [{"$literal": "a"}]]}}})
    check("purge with $in -> 400", st == 400, (st, b))
    observe("purge with $in", st, b)
    st, b = s.post("/feedback/create", {**create_req(), "bogus": 1})
    check("unknown request field -> 422", st == 422 and "detail" in b, (st, b))
    observe("unknown request field", st, b)
    st, b = s.post("/feedback/create", create_req(feedback_type="custom", payload={"x": "weave:///acme"}))
    check("weave:///acme in payload -> 400", st == 400, (st, b))
    observe("weave:///acme in payload", st, b)
    st, b = query(s, offset=1)
    check("offset without limit answers (500 on SQLite)", st in (200, 500), (st, b))
    observe("offset without limit", st, b)
    st, b = query(s, offset=0, limit=1)
    check("offset with limit -> 200", st == 200 and len(b["result"]) == 1, (st, b))
    st, b = query(s, limit=-1)
    check("negative limit -> 400", st == 400, (st, b))
    observe("negative limit", st, b)
    st, b = s.post("/feedback/query", None, raw=b"{not json")
    check("malformed JSON -> 422", st == 422 and "detail" in b, (st, b))
    observe("malformed JSON", st, b)
    st, b = s.post("/feedback/query", None, raw=b"x" * (32 * 1024 * 1024 + 1))
    check("body over 32 MiB -> 413", (st, b) == (413, {"reason": "Request too large"}), (st, b))

    # --- keep-alive on one connection
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    ok = True
    for _ in range(3):
        body = json.dumps({"project_id": PROJECT, "limit": 1}).encode()
        conn.request("POST", "/feedback/query", body=body)
        r = conn.getresponse()
        r.read()
        ok = ok and r.status == 200 and r.getheader("Content-Length") is not None
    sock_id = id(conn.sock)
    check("keep-alive: 3 requests on one connection", ok and conn.sock is not None and id(conn.sock) == sock_id)
    conn.close()

    # --- chunked and gzip request bodies
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    conn.request("POST", "/feedback/query", body=iter([b'{"project_id":', b'"acme/chatbot","limit":1}']),
                 encode_chunked=True)
    r = conn.getresponse()
    check("chunked request body", r.status == 200 and len(json.loads(r.read())["result"]) == 1)
    conn.close()
    import gzip
    st, b, _ = s.call("/feedback/query", raw=gzip.compress(b'{"project_id":"acme/chatbot","limit":1}'),
                      headers={"Content-Encoding": "gzip"})
    check("gzip request body", st == 200 and len(b["result"]) == 1, (st, b))

    # --- stats
    s.reset()
    s.post("/feedback/query", {"project_id": PROJECT}, headers={"X-Weave-Retry-Id": "r-1",
                                                                 "User-Agent": "weave-feedback-test"})
    stt = s.stats()
    check("stats count and headers", stt["requests"] == {"/feedback/query": 1}
          and stt["retry_ids"] == {"/feedback/query": ["r-1"]}
          and stt["last_headers"].get("user-agent") == "weave-feedback-test", stt)

    # --- faults
    s.faults({"fail_first": 2, "fail_status": 503, "routes": ["/feedback/create"]})
    r1 = s.post("/feedback/create", create_req(id="f-1"))
    r2 = s.post("/feedback/create", create_req(id="f-1"))
    rq = query(s, limit=1)[0]
    r3 = s.post("/feedback/create", create_req(id="f-1"))
    check("fail_first: 2x 503 injected, routes filter spares query, then 200",
          r1 == (503, {"reason": "injected"}) and r2[0] == 503 and rq == 200 and r3[0] == 200
          and len(rows(s, "f-1")) == 1, (r1, r2, rq, r3))

    date = "Wed, 21 Oct 2037 07:28:00 GMT"
    s.faults({"rate_limit_every": 2, "retry_after": date})
    res = [s.call("/feedback/query", {"project_id": PROJECT, "limit": 1}) for _ in range(4)]
    check("rate_limit_every 2: 200,429,200,429 with Retry-After verbatim",
          [x[0] for x in res] == [200, 429, 200, 429] and res[1][2].get("Retry-After") == date,
          [(x[0], x[2].get("Retry-After")) for x in res])

    s.faults({"delay_ms": 1500, "delay_first": 1})
    t0 = time.monotonic()
    err = expect_conn_error(lambda: s.post("/feedback/create", create_req(id="d-1"), timeout=0.5))
    check("delay (not processed): client times out", err is not None, err)
    time.sleep(1.2)
    check("delayed request was not processed", rows(s, "d-1") == [])
    st, b = s.post("/feedback/create", create_req(id="d-2"), timeout=5)
    check("second request not delayed", st == 200 and time.monotonic() - t0 < 4, (st, b))

    s.faults({"delay_ms": 600, "delay_first": 1, "delay_then_process": True})
    t0 = time.monotonic()
    st, b = s.post("/feedback/create", create_req(id="d-3"), timeout=5)
    check("delay_then_process: slow 200", st == 200 and time.monotonic() - t0 >= 0.6, (st, b))

    s.faults({"drop_after_commit_first": 1})
    err = expect_conn_error(lambda: s.post("/feedback/create", create_req(id="lost-1")))
    check("drop_after_commit: no response", err is not None, err)
    check("drop_after_commit: row was committed", len(rows(s, "lost-1")) == 1)
    print(f"     observed drop_after_commit client error: {err}")
    s.faults({"drop_after_commit_first": 1, "drop_mode": "rst"})
    err = expect_conn_error(lambda: s.post("/feedback/create", create_req(id="lost-2")))
    check("drop_after_commit (rst): no response, committed", err is not None and len(rows(s, "lost-2")) == 1, err)
    print(f"     observed drop_mode rst client error: {err}")

    s.faults({"drop_before_processing_first": 1})
    err = expect_conn_error(lambda: s.post("/feedback/create", create_req(id="lost-3")))
    check("drop_before_processing: no response, nothing stored", err is not None and rows(s, "lost-3") == [], err)

    s.faults({"status_for_route": {"/feedback/batch/create": 404}})
    st, b = s.post("/feedback/batch/create", {"batch": items})
    st2, _ = s.post("/feedback/create", create_req())
    check("status_for_route: batch 404 Not Found, create fine",
          (st, b) == (404, {"detail": "Not Found"}) and st2 == 200, (st, b, st2))

    s.faults({"too_large_over_items": 1})
    st, b = s.post("/feedback/batch/create", {"batch": [create_req(), create_req()]})
    st2, _ = s.post("/feedback/batch/create", {"batch": [create_req()]})
    check("too_large_over_items 1: 2 items 413, 1 item 200",
          (st, b) == (413, {"reason": "Request too large"}) and st2 == 200, (st, b, st2))

    s.faults({"fail_first": 1, "fail_status": 502, "fail_body": "<html>bad gateway</html>",
              "fail_content_type": "text/html", "fail_headers": {"Retry-After": "2"}})
    st, b, h = s.call("/feedback/query", {"project_id": PROJECT})
    check("fail_body/content type/headers", (st, b) == (502, "<html>bad gateway</html>")
          and h.get("Content-Type") == "text/html" and h.get("Retry-After") == "2", (st, b, h))

    s.faults({"fail_first": 1, "drop_after_commit_first": 1})
    a1 = s.post("/feedback/create", create_req(id="seq-1"))[0]
    err = expect_conn_error(lambda: s.post("/feedback/create", create_req(id="seq-1")))
    a3 = s.post("/feedback/create", create_req(id="seq-2"))[0]
    check("faults chain: 503, then dropped-after-commit, then 200",
          a1 == 503 and err is not None and a3 == 200 and len(rows(s, "seq-1")) == 1, (a1, err, a3))
    stt = s.stats()
    check("stats count faulted requests", stt["requests"].get("/feedback/create", 0) >= 3
          and stt["faults_applied"] == {"fail_first": 1, "drop_after_commit_first": 1}, stt)
    s.reset()
    check("reset clears faults and counters", s.stats()["requests"] == {}
          and s.post("/feedback/create", create_req())[0] == 200)

    # --- shutdown on stdin EOF, temp DB removed
    code = s.stop("eof")
    check("exits on stdin EOF with 0", code == 0, code)

    # --- auth
    a = Server(python, "--api-key", "KEY123")
    st, b = a.post("/feedback/create", create_req())
    check("no Authorization -> 401", (st, b) == (401, {"reason": "Unauthorized"}), (st, b))
    good = {"Authorization": "Basic " + base64.b64encode(b"api:KEY123").decode()}
    badh = {"Authorization": "Basic " + base64.b64encode(b"api:WRONG").decode()}
    check("wrong key -> 401", a.post("/feedback/create", create_req(), headers=badh)[0] == 401)
    st, b = a.post("/feedback/create", create_req(), headers=good)
    check("right key -> 200", st == 200 and b["wb_user_id"] == "test-user", (st, b))
    check("server_info needs no key", a.call("/server_info")[0] == 200)
    code = a.stop("term")
    check("exits on SIGTERM with 0", code == 0, code)

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
