#!/usr/bin/env python3
"""Test HTTP front over Weave's real trace-server logic (weave==0.52.35, SQLite backend).

This is not a fake: request bodies are parsed with Weave's own ``tsi.*Req`` pydantic models,
processed by ``SqliteTraceServer`` behind ``ExternalTraceServer`` (the adapter Weave's hosted
service uses to map external ids and refs), and errors are mapped to HTTP with
``weave.trace_server.errors.handle_server_exception``. Only the parts of the hosted HTTP layer
that are not public are supplied here: routing, Basic auth, stamping ``wb_user_id``, 422 for
schema violations, 413 for oversized requests, and fault injection for client tests.

Usage:
    python weave_test_server.py [--port 0] [--db PATH] [--api-key KEY] [--ignore-stdin]

Prints exactly one line ``LISTENING <port>`` on stdout once it accepts connections. Exits when
stdin reaches EOF (unless --ignore-stdin), on SIGTERM or on SIGINT; the temporary database is
deleted on exit (a --db path given by the caller is kept).

Zygote mode (used by tests/common/mod.rs to avoid paying the ~2-3 s import per server):
    python weave_test_server.py --zygote SOCKET_PATH
imports Weave once, prints ``ZYGOTE READY``, then forks one server per connection made by
``zygote_client.py`` (which hands over its stdin/stdout/stderr). See zygote_client.py.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import gzip
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

# Keep Weave's dependencies from phoning home or tracing: the server logic needs none of it.
for _k, _v in {
    "DD_TRACE_ENABLED": "false",
    "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
    "DD_REMOTE_CONFIGURATION_ENABLED": "false",
    "DD_CRASHTRACKING_ENABLED": "false",
    "DD_TRACE_STARTUP_LOGS": "false",
    "DD_RUNTIME_METRICS_ENABLED": "false",
    "WANDB_ERROR_REPORTING": "false",
    "WANDB_MODE": "disabled",
    "WANDB_SILENT": "true",
    "WEAVE_SENTRY_ENV": "test",
}.items():
    os.environ.setdefault(_k, _v)
# Weave sets up a Sentry client at import time (resolving an external host); make it unavailable.
sys.modules.setdefault("sentry_sdk", None)  # type: ignore[arg-type]

import pydantic  # noqa: E402

from weave.trace_server import errors as weave_errors  # noqa: E402
from weave.trace_server import trace_server_interface as tsi  # noqa: E402
from weave.trace_server.external_to_internal_trace_server_adapter import (  # noqa: E402
    ExternalTraceServer,
    IdConverter,
)
from weave.trace_server.sqlite_trace_server import SqliteTraceServer  # noqa: E402
from weave.version import VERSION as WEAVE_VERSION  # noqa: E402

MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_DISCARD_BYTES = 512 * 1024 * 1024  # larger bodies: answer 413 and close without reading
TEST_USER_ID = "test-user"  # external user id stamped on every write
SERVER_INFO = {
    "min_required_weave_python_version": WEAVE_VERSION,
    "trace_server_version": f"{WEAVE_VERSION}-test",
}


# --------------------------------------------------------------------------- ids


def _b64e(s: str) -> str:
    return base64.urlsafe_b64encode(s.encode("utf-8")).decode("ascii").rstrip("=")


def _b64d(s: str) -> str:
    if not s or any(c not in _B64_CHARS for c in s):
        raise ValueError("not url-safe base64")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).decode("utf-8")


_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class B64IdConverter(IdConverter):
    """Stateless reversible id mapping: internal id = URL-safe base64 (no padding) of the
    external one, so internal ids never contain '/' (nor ':'). Every well-formed project is
    readable by the single test user; undecodable internal ids mean "no access" (None)."""

    def ext_to_int_project_id(self, project_id: str) -> str:
        return _b64e(project_id)

    def int_to_ext_project_id(self, project_id: str) -> str | None:
        try:
            ext = _b64d(project_id)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        return ext if ext.count("/") == 1 else None

    def ext_to_int_run_id(self, run_id: str) -> str:
        return _b64e(run_id)

    def int_to_ext_run_id(self, run_id: str) -> str:
        return _b64d(run_id)

    def ext_to_int_user_id(self, user_id: str) -> str:
        return _b64e(user_id)

    def int_to_ext_user_id(self, user_id: str) -> str:
        return _b64d(user_id)


# --------------------------------------------------------------------------- routes

# route -> (adapter method name, request model, how to stamp wb_user_id)
FEEDBACK_ROUTES: dict[str, tuple[str, type[pydantic.BaseModel], str | None]] = {
    "/feedback/create": ("feedback_create", tsi.FeedbackCreateReq, "self"),
    "/feedback/batch/create": ("feedback_create_batch", tsi.FeedbackCreateBatchReq, "batch"),
    "/feedback/query": ("feedback_query", tsi.FeedbackQueryReq, None),
    "/feedback/purge": ("feedback_purge", tsi.FeedbackPurgeReq, None),
    "/feedback/replace": ("feedback_replace", tsi.FeedbackReplaceReq, "self"),
    "/feedback/stats": ("feedback_stats", tsi.FeedbackStatsReq, None),
    "/feedback/payload_schema": ("feedback_payload_schema", tsi.FeedbackPayloadSchemaReq, None),
}
GET_ROUTES = {"/server_info", "/__test/stats"}
CONTROL_POST_ROUTES = {"/__test/faults", "/__test/reset"}


class Dropped(Exception):
    """The request was already dealt with by a fault (answered or connection dropped)."""


# --------------------------------------------------------------------------- state


class State:
    """Fault configuration and request statistics, shared by all handler threads."""

    FAULT_KEYS = {
        "routes", "fail_first", "fail_status", "fail_body", "fail_content_type",
        "fail_headers", "rate_limit_every", "retry_after", "delay_ms", "delay_first",
        "delay_then_process", "drop_after_commit_first", "drop_before_processing_first",
        "drop_mode", "status_for_route", "too_large_over_items", "fail_after_commit_first",
        "purge_only_first",
    }

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # Signalled whenever a non-control request finishes, for /__test/wait_idle.
        self.idle = threading.Condition(self.lock)
        self.in_flight = 0
        self.reset()

    def reset(self) -> None:
        self.faults: dict[str, Any] = {}
        self.counters: dict[str, int] = {}
        self.applied: dict[str, int] = {}
        self.requests: dict[str, int] = {}
        self.retry_ids: dict[str, list[str | None]] = {}
        self.last_headers: dict[str, str] = {}
        self.last_route: str | None = None
        self.last_body: str | None = None

    def set_faults(self, faults: dict[str, Any]) -> None:
        unknown = set(faults) - self.FAULT_KEYS
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        self.faults = faults
        self.counters = {}
        self.applied = {}

    def record(self, route: str, headers: Any, body: bytes) -> None:
        self.requests[route] = self.requests.get(route, 0) + 1
        self.retry_ids.setdefault(route, []).append(headers.get("X-Weave-Retry-Id"))
        self.last_headers = {k.lower(): v for k, v in headers.items()}
        self.last_route = route
        self.last_body = body[: 1 << 20].decode("utf-8", "replace")

    def stats(self) -> dict:
        return json.loads(json.dumps(
            {
                "requests": self.requests,
                "retry_ids": self.retry_ids,
                "last_headers": self.last_headers,
                "last_route": self.last_route,
                "last_body": self.last_body,
                "faults": self.faults,
                "faults_applied": self.applied,
            }
        ))

    def take(self, name: str, limit: int | None) -> bool:
        """Count one request reaching fault stage `name`; True while within the first `limit`."""
        if not limit:
            return False
        n = self.counters.get(name, 0) + 1
        self.counters[name] = n
        if n <= limit:
            self.applied[name] = self.applied.get(name, 0) + 1
            return True
        return False


# --------------------------------------------------------------------------- HTTP


_TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "weave-test-server"
    sys_version = ""
    server: "Server"

    # -- plumbing

    def setup(self) -> None:
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.quickack()
        super().setup()

    def quickack(self) -> None:
        """Ack at once (Linux; the kernel leaves quick-ack mode by itself, so this is re-armed
        per request): a client that writes headers and body separately with Nagle on would
        otherwise wait for our delayed ACK (~40 ms) before sending the body."""
        if _TCP_QUICKACK is not None:
            try:
                self.request.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)
            except OSError:
                pass

    def handle_one_request(self) -> None:
        self.quickack()
        super().handle_one_request()

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        # SqliteTraceServer opens one connection per thread; close this thread's.
        try:
            self.server.internal.close()
        except Exception:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), format % args))

    def send_json(self, status: int, body: bytes | str | dict, headers: dict | None = None,
                  content_type: str = "application/json") -> None:
        if isinstance(body, (dict, list)):
            # As Starlette's JSONResponse renders it.
            body = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def drop(self, mode: str = "fin") -> None:
        """Close the connection abruptly without an answer."""
        self.close_connection = True
        try:
            if mode == "rst":
                import struct

                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def read_body(self) -> bytes | None:
        """Read the request body; None when an error answer was already sent."""
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY_BYTES:
                    self.close_connection = True
                    self.send_json(413, {"reason": "Request too large"})
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            body = b"".join(chunks)
        else:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                self.close_connection = True
                self.send_json(400, {"reason": "Invalid Content-Length"})
                return None
            if length > MAX_BODY_BYTES:
                # Read and discard the body (so a client that writes the whole body before
                # reading sees the 413 rather than a reset), unless it is absurdly large.
                if length > MAX_DISCARD_BYTES:
                    self.close_connection = True
                else:
                    left = length
                    while left > 0:
                        got = self.rfile.read(min(left, 1 << 20))
                        if not got:
                            self.close_connection = True
                            break
                        left -= len(got)
                self.send_json(413, {"reason": "Request too large"})
                return None
            body = self.rfile.read(length) if length > 0 else b""
        enc = self.headers.get("Content-Encoding", "").lower()
        try:
            if enc == "gzip":
                body = gzip.decompress(body)
            elif enc == "deflate":
                body = zlib.decompress(body)
        except (OSError, zlib.error, EOFError):
            self.send_json(400, {"reason": "Invalid Content-Encoding"})
            return None
        return body

    def authorized(self) -> bool:
        key = self.server.api_key
        if key is None:
            return True
        value = self.headers.get("Authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        return decoded == "api:" + key

    # -- methods

    def do_GET(self) -> None:
        self.dispatch(b"")

    def do_HEAD(self) -> None:
        self.dispatch(b"")

    def do_POST(self) -> None:
        self.quickack()
        body = self.read_body()
        if body is None:  # already answered (413 / 400)
            path = urlsplit(self.path).path
            if not path.startswith("/__test/"):
                with self.server.state.lock:
                    self.server.state.record(path, self.headers, b"")
            return
        self.dispatch(body)

    def do_PUT(self) -> None:
        self.do_POST()

    def do_DELETE(self) -> None:
        self.do_POST()

    def do_PATCH(self) -> None:
        self.do_POST()

    def dispatch(self, body: bytes) -> None:
        path = urlsplit(self.path).path
        method = self.command
        st = self.server.state

        if path.startswith("/__test/"):
            self.control(method, path, body)
            return

        with st.lock:
            st.record(path, self.headers, body)
            st.in_flight += 1
        try:
            self.dispatch_recorded(path, method, body)
        finally:
            with st.lock:
                st.in_flight -= 1
                st.idle.notify_all()

    def dispatch_recorded(self, path: str, method: str, body: bytes) -> None:

        if path in FEEDBACK_ROUTES or path == "/server_info":
            wanted = "POST" if path in FEEDBACK_ROUTES else "GET"
            if method != wanted and not (wanted == "GET" and method == "HEAD"):
                self.send_json(405, {"detail": "Method Not Allowed"}, {"Allow": wanted})
                return
        else:
            # What FastAPI answers for a route it does not have.
            self.send_json(404, {"detail": "Not Found"})
            return

        if path == "/server_info":
            self.send_json(200, SERVER_INFO)
            return

        try:
            drop_after = self.pre_faults(path, body)
        except Dropped:
            return  # answered by an injected fault, or dropped

        if not self.authorized():
            self.send_json(401, {"reason": "Unauthorized"})
            return

        if isinstance(drop_after, tuple) and drop_after[0] == "purge_only":
            # The first half of the server's replace (delete), then a failure before the insert.
            self.process("/feedback/purge", _purge_body_for_replace(body))
            self.send_json(drop_after[1], drop_after[2])
            return
        status, out = self.process(path, body)
        if isinstance(drop_after, tuple):  # fail after commit: stored, but answered with an error
            self.send_json(drop_after[1], drop_after[2])
            return
        if drop_after:
            self.drop(drop_after)
            return
        self.send_json(status, out)

    def pre_faults(self, path: str, body: bytes) -> str | None:
        """Apply the configured faults before processing. Raises Dropped when the request was
        answered by a fault or its connection dropped; otherwise returns the drop mode when the
        answer must be dropped after processing (else None)."""
        st = self.server.state
        with st.lock:
            f = dict(st.faults)
            routes = f.get("routes")
            if not f or (routes is not None and path not in routes):
                return None
            mode = f.get("drop_mode", "fin")

            status = (f.get("status_for_route") or {}).get(path)
            if status is not None:
                st.applied["status_for_route"] = st.applied.get("status_for_route", 0) + 1
                action: tuple = ("answer", int(status), _reason_for(int(status)), {})
            elif (
                f.get("too_large_over_items") is not None
                and path == "/feedback/batch/create"
                and _batch_len(body) > int(f["too_large_over_items"])
            ):
                st.applied["too_large_over_items"] = st.applied.get("too_large_over_items", 0) + 1
                action = ("answer", 413, {"reason": "Request too large"}, {})
            elif st.take("drop_before_processing_first", f.get("drop_before_processing_first")):
                action = ("drop",)
            elif st.take("fail_first", f.get("fail_first")):
                fail_body = f.get("fail_body", {"reason": "injected"})
                action = ("answer", int(f.get("fail_status", 503)), fail_body,
                          dict(f.get("fail_headers") or {}),
                          f.get("fail_content_type", "application/json"))
            elif f.get("rate_limit_every") and _every(st, int(f["rate_limit_every"])):
                headers = {}
                if f.get("retry_after") is not None:
                    headers["Retry-After"] = str(f["retry_after"])
                action = ("answer", 429, {"reason": "Too many requests"}, headers)
            elif f.get("delay_ms") and st.take("delay_first", f.get("delay_first", 1 << 62)):
                action = ("delay", int(f["delay_ms"]), bool(f.get("delay_then_process", False)))
            else:
                action = ("none",)
            drop_after = None
            processes = action[0] == "none" or (action[0] == "delay" and action[2])
            if processes and st.take("drop_after_commit_first", f.get("drop_after_commit_first")):
                drop_after = mode
            elif processes and st.take("fail_after_commit_first", f.get("fail_after_commit_first")):
                drop_after = ("fail", int(f.get("fail_status", 503)),
                              f.get("fail_body", {"reason": "injected"}))
            elif (processes and path == "/feedback/replace"
                  and st.take("purge_only_first", f.get("purge_only_first"))):
                drop_after = ("purge_only", int(f.get("fail_status", 503)),
                              f.get("fail_body", {"reason": "injected"}))

        kind = action[0]
        if kind == "answer":
            content_type = action[4] if len(action) > 4 else "application/json"
            self.send_json(action[1], action[2], action[3], content_type=content_type)
            raise Dropped
        if kind == "drop":
            self.drop(mode)
            raise Dropped
        if kind == "delay":
            time.sleep(action[1] / 1000.0)
            if not action[2]:
                self.drop(mode)
                raise Dropped
        return drop_after

    def process(self, path: str, body: bytes) -> tuple[int, bytes | dict]:
        method_name, model, stamp = FEEDBACK_ROUTES[path]
        try:
            req = model.model_validate_json(body)
        except pydantic.ValidationError as e:
            return 422, {"detail": _fastapi_errors(e)}
        if stamp == "self":
            req.wb_user_id = TEST_USER_ID  # type: ignore[attr-defined]
        elif stamp == "batch":
            for item in req.batch:  # type: ignore[attr-defined]
                item.wb_user_id = TEST_USER_ID
        try:
            with self.server.storage_lock:
                res = getattr(self.server.adapter, method_name)(req)
            return 200, res.model_dump_json().encode("utf-8")
        except Exception as exc:  # noqa: BLE001 - mapped like Weave's service does
            err = weave_errors.handle_server_exception(exc)
            if err.status_code >= 500 or self.server.verbose:
                sys.stderr.write(
                    f"weave_test_server: {path} -> {err.status_code}: "
                    f"{type(exc).__name__}: {exc}\n"
                )
                if self.server.verbose:
                    traceback.print_exc()
            return err.status_code, err.message

    def control(self, method: str, path: str, body: bytes) -> None:
        st = self.server.state
        if path == "/__test/stats" and method in ("GET", "POST"):
            with st.lock:
                out = st.stats()
            self.send_json(200, out)
        elif path == "/__test/wait_idle" and method in ("GET", "POST"):
            # Blocks until no other request is being handled (e.g. a delayed request that the
            # client already gave up on), so tests can count rows without sleeping.
            with st.lock:
                idle = st.idle.wait_for(lambda: st.in_flight == 0, timeout=60)
            self.send_json(200 if idle else 504, {"idle": idle})
        elif path == "/__test/reset" and method == "POST":
            with st.lock:
                st.reset()
            self.send_json(200, {})
        elif path == "/__test/faults" and method == "POST":
            try:
                faults = json.loads(body or b"{}")
                if not isinstance(faults, dict):
                    raise ValueError("faults must be a JSON object")
                with st.lock:
                    st.set_faults(faults)
            except ValueError as e:
                self.send_json(400, {"reason": f"bad fault config: {e}"})
                return
            self.send_json(200, {})
        else:
            self.send_json(404, {"reason": "Not found"})


def _reason_for(status: int) -> dict:
    return {
        404: {"detail": "Not Found"},  # FastAPI's missing-route answer
        413: {"reason": "Request too large"},
        401: {"reason": "Unauthorized"},
        429: {"reason": "Too many requests"},
    }.get(status, {"reason": "injected"})


def _every(st: State, k: int) -> bool:
    n = st.counters.get("rate_limit_every", 0) + 1
    st.counters["rate_limit_every"] = n
    if k > 0 and n % k == 0:
        st.applied["rate_limit_every"] = st.applied.get("rate_limit_every", 0) + 1
        return True
    return False


def _purge_body_for_replace(body: bytes) -> bytes:
    """The purge the server's replace starts with: the row `feedback_id` of the project."""
    req = json.loads(body)
    return json.dumps({
        "project_id": req["project_id"],
        "query": {"$expr": {"$eq": [{"$getField": "id"}, {"$literal": req["feedback_id"]}]}},
    }).encode("utf-8")


def _batch_len(body: bytes) -> int:
    try:
        batch = json.loads(body).get("batch")
        return len(batch) if isinstance(batch, list) else 0
    except (ValueError, AttributeError):
        return 0


def _fastapi_errors(e: pydantic.ValidationError) -> list:
    """ValidationError.errors() as FastAPI renders it: JSON-safe, loc prefixed with "body"."""
    out = []
    for err in e.errors(include_url=False):
        err = dict(err)
        err["loc"] = ["body", *err.get("loc", ())]
        if isinstance(err.get("input"), (bytes, bytearray)):
            err["input"] = err["input"].decode("utf-8", "replace")
        out.append(err)
    return json.loads(json.dumps(out, default=str))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, db_path: str, api_key: str | None, verbose: bool) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.api_key = api_key
        self.verbose = verbose
        self.state = State()
        self.storage_lock = threading.Lock()
        self.internal = SqliteTraceServer(db_path)
        self.internal.setup_tables()
        self.adapter = ExternalTraceServer(self.internal, B64IdConverter())

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, BrokenPipeError)) and not self.verbose:
            return
        sys.stderr.write(f"weave_test_server: error handling request from {client_address}:\n")
        traceback.print_exc()


# --------------------------------------------------------------------------- main


def serve(args: argparse.Namespace) -> int:
    tmpdir = None
    if args.db:
        db_path = args.db
    else:
        tmpdir = tempfile.mkdtemp(prefix="weave-test-db-")
        db_path = os.path.join(tmpdir, "weave.db")

    stop = threading.Event()
    try:
        server = Server(args.port, db_path, args.api_key, args.verbose)
    except Exception:
        if tmpdir:
            _rmtree(tmpdir)
        raise

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if not args.ignore_stdin:
        def watch_stdin() -> None:
            try:
                while os.read(0, 4096):
                    pass
            except OSError:
                pass
            stop.set()

        threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="http", daemon=True)
    thread.start()
    sys.stdout.write(f"LISTENING {server.server_address[1]}\n")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        if tmpdir:
            _rmtree(tmpdir)
    return 0


def _rmtree(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--db", default=None, help="SQLite file (default: temporary, deleted on exit)")
    p.add_argument("--api-key", default=None, help="require Basic auth api:<KEY>")
    p.add_argument("--ignore-stdin", action="store_true", help="do not exit on stdin EOF")
    p.add_argument("--verbose", action="store_true", help="log requests and tracebacks")
    p.add_argument("--zygote", metavar="SOCKET", default=None,
                   help="fork-server mode (see zygote_client.py)")
    p.add_argument("--detach", action="store_true",
                   help="zygote: new session, ignore stdin (use with --idle-exit)")
    p.add_argument("--idle-exit", type=float, default=None, metavar="SECONDS",
                   help="zygote: exit after this long without servers or connections")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.zygote:
        if args.detach:
            try:
                os.setsid()
            except OSError:
                pass
        return zygote(args.zygote, watch_stdin=not (args.ignore_stdin or args.detach),
                      idle_exit=args.idle_exit)
    return serve(args)


# --------------------------------------------------------------------------- zygote


def zygote(sock_path: str, watch_stdin: bool = True, idle_exit: float | None = None) -> int:
    """Fork-server: accept connections on a Unix socket; each carries the client's
    stdin/stdout/stderr (SCM_RIGHTS) and its argv as JSON. Fork a server child that uses those
    fds; report the child's exit status back on the connection; kill the child when the
    connection closes (the client died). Exits, killing all children, on stdin EOF (when
    watch_stdin), on SIGTERM/SIGINT, or after idle_exit seconds without any server."""
    import array
    import selectors

    try:
        os.unlink(sock_path)
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(64)

    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "accept")
    if watch_stdin:
        sel.register(0, selectors.EVENT_READ, "stdin")
    last_active = time.monotonic()
    r_chld, w_chld = os.pipe()
    os.set_blocking(w_chld, False)
    signal.set_wakeup_fd(w_chld)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    sel.register(r_chld, selectors.EVENT_READ, "sigchld")
    children: dict[int, socket.socket] = {}  # pid -> client connection
    conn_pid: dict[socket.socket, int] = {}

    sys.stdout.write("ZYGOTE READY\n")
    sys.stdout.flush()

    def spawn(conn: socket.socket) -> None:
        fds = array.array("i")
        data = b""
        conn.settimeout(5)
        try:
            while not data.endswith(b"\n"):
                msg, anc, _flags, _addr = conn.recvmsg(65536, socket.CMSG_SPACE(3 * fds.itemsize))
                if not msg:
                    break
                data += msg
                for level, typ, cdata in anc:
                    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                        fds.frombytes(cdata[: len(cdata) - (len(cdata) % fds.itemsize)])
        except OSError:
            pass
        conn.settimeout(None)
        if len(fds) != 3 or not data.endswith(b"\n"):
            for fd in fds:
                os.close(fd)
            conn.close()
            return
        argv = json.loads(data)
        pid = os.fork()
        if pid == 0:  # child
            code = 1
            try:
                signal.set_wakeup_fd(-1)
                for s in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
                    signal.signal(s, signal.SIG_DFL)
                for fd_index, fd in enumerate(fds):
                    os.dup2(fd, fd_index)
                    os.close(fd)
                os.close(r_chld)
                os.close(w_chld)
                listener.close()
                conn.close()
                for c in list(conn_pid):
                    c.close()
                sel.close()
                sys.stdout = open(1, "w", closefd=False)
                sys.stderr = open(2, "w", closefd=False)
                code = serve(parse_args(argv))
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
            except BaseException:
                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        for fd in fds:
            os.close(fd)
        children[pid] = conn
        conn_pid[conn] = pid
        sel.register(conn, selectors.EVENT_READ, "client")

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = children.pop(pid, None)
            if conn is None:
                continue
            conn_pid.pop(conn, None)
            code = os.waitstatus_to_exitcode(status)
            try:
                sel.unregister(conn)
            except (KeyError, ValueError):
                pass
            try:
                conn.sendall(f"EXIT {code}\n".encode())
            except OSError:
                pass
            conn.close()

    running = True
    while running:
        if children:
            last_active = time.monotonic()
        elif idle_exit is not None and time.monotonic() - last_active > idle_exit:
            break
        for key, _ in sel.select(timeout=1.0):
            tag = key.data
            if tag == "accept":
                last_active = time.monotonic()
                conn, _ = listener.accept()
                spawn(conn)
            elif tag == "stdin":
                try:
                    chunk = os.read(0, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    running = False
            elif tag == "sigchld":
                try:
                    signums = os.read(r_chld, 4096)
                except BlockingIOError:
                    signums = b""
                if signal.SIGTERM in signums or signal.SIGINT in signums:
                    running = False
                reap()
            elif tag == "client":
                conn = key.fileobj  # type: ignore[assignment]
                try:
                    gone = not conn.recv(4096)
                except OSError:
                    gone = True
                if gone:
                    pid = conn_pid.get(conn)
                    if pid is not None:
                        try:
                            os.kill(pid, signal.SIGTERM)
                        except ProcessLookupError:
                            pass
                    sel.unregister(conn)
        reap()

    for pid in list(children):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.time() + 5
    while children and time.time() < deadline:
        time.sleep(0.05)
        reap()
    listener.close()
    stale = [sock_path]
    if not watch_stdin and sock_path.endswith(".sock"):
        stale.append(sock_path[: -len(".sock")] + ".lock")  # the harness's shared-zygote lock
    for path in stale:
        try:
            os.unlink(path)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
