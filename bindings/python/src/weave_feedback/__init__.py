"""weave_feedback: the Python binding (ctypes) of weave-feedback's C library.

    with Client() as client:                      # configuration from the environment
        with client.ref_feedback_query("weave:///acme/chatbot/call/0192f3a4-...") as q:
            q.add_reaction("👍")
            for row in q.execute():
                print(row.feedback_type, row.payload)

Standard library only. Every C function used declares its argtypes and restype (opaque handles
are distinct pointer types, so passing the wrong handle is a TypeError, not a crash).

Memory: handles are freed by close() (idempotent; the classes are context managers), with a
weakref.finalize as the backstop: it holds the raw pointer, never the object. Owned strings
(`char **` outputs) are copied and freed with weave_string_free; rows, ids, tables and errors
are copied into Python objects at once.

Walking many rows: FeedbackQuery.pages(n) (module _pages) yields pages of n rows in flat
memory. Query settings, len(q), q[i] and scorer feedback: module _query_mixins; refs from
parts (call_ref, object_ref, op_ref, table_ref): module _refs; the durable outbox (flush,
dead_letters, ...): module _outbox.

Threads: ctypes releases the GIL during every foreign call, so network calls do not stop other
Python threads. A Client may be shared by any number of threads; a lock serialises calls on
a query (as the C library does) and close() waits for the call in flight.

The library (installed with `make install`) is loaded from $WEAVE_FEEDBACK_LIB if set, else
from the libdir that `pkg-config weave-feedback` names, else as libweave_feedback.so.0 from the
loader's path (ldconfig, LD_LIBRARY_PATH).
"""

from __future__ import annotations

import ctypes
import enum
import json
import os
import subprocess
import threading
import weakref
from ctypes import POINTER, byref, c_bool, c_char_p, c_int, c_int64, c_size_t, c_uint16
from ctypes import c_uint32, c_uint64, c_void_p
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence, TypeVar

# The C ABI this binding is written for: the library's SONAME major, and the oldest minor
# that has every function bound below.
ABI_MAJOR = 0
ABI_MINOR = 2
_SONAME = f"libweave_feedback.so.{ABI_MAJOR}"


def _pkg_config_libdir() -> Optional[str]:
    try:
        out = subprocess.run(["pkg-config", "--variable=libdir", "weave-feedback"],
                             capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def _load() -> ctypes.CDLL:
    libdir = _pkg_config_libdir()
    candidates = [
        os.environ.get("WEAVE_FEEDBACK_LIB"),
        os.path.join(libdir, _SONAME) if libdir else None,
        _SONAME,
    ]
    errors = []
    for name in candidates:
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError as e:
            errors.append(str(e))
    raise OSError(f"cannot load {_SONAME} (install it with `make install`, or set "
                  "WEAVE_FEEDBACK_LIB): " + "; ".join(errors))


_lib = _load()


class Status(enum.IntEnum):
    """weave_status: the values are fixed by the C contract."""

    OK = 0
    INVALID_ARGUMENT = 1
    INVALID_REF = 2
    INVALID_FEEDBACK = 3
    UNAUTHORIZED = 4
    NOT_FOUND = 5
    REJECTED = 6
    RATE_LIMITED = 7
    SERVER = 8
    TRANSPORT = 9
    TIMEOUT = 10
    DECODE = 11
    INTERNAL = 12
    OUTBOX_FULL = 13


# Opaque handle types.
class _Opaque(ctypes.Structure):
    pass


def _opaque(name: str) -> type:
    return POINTER(type(name, (_Opaque,), {}))


_Options: type = _opaque("weave_client_options")
_Client: type = _opaque("weave_client")
_Error: type = _opaque("weave_error")
_RefQuery: type = _opaque("weave_ref_feedback_query")
_Query: type = _opaque("weave_feedback_query")
_Feedbacks: type = _opaque("weave_feedbacks")
_Feedback: type = _opaque("weave_feedback")
_Refs: type = _opaque("weave_refs")

_status: type = c_int  # a C enum: int-sized
_err: type = POINTER(_Error)  # weave_error **
_out_str: type = POINTER(c_void_p)  # char **: c_void_p, so that the pointer can be freed


def _fn(name: str, restype: Any, *argtypes: Any) -> Any:
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_status_str = _fn("weave_status_str", c_char_p, c_int)
_version = _fn("weave_feedback_version", c_char_p)
_error_status = _fn("weave_error_status", c_int, _Error)
_error_message = _fn("weave_error_message", c_char_p, _Error)
_error_feedback_id = _fn("weave_error_feedback_id", c_char_p, _Error)
_error_feedback_id_count = _fn("weave_error_feedback_id_count", c_size_t, _Error)
_error_feedback_id_at = _fn("weave_error_feedback_id_at", c_char_p, _Error, c_size_t)
_error_http_status = _fn("weave_error_http_status", c_uint16, _Error)
_error_attempts = _fn("weave_error_attempts", c_uint32, _Error)
_error_free = _fn("weave_error_free", None, _Error)
_string_free = _fn("weave_string_free", None, c_void_p)

_options_new = _fn("weave_client_options_new", _Options)
_options_free = _fn("weave_client_options_free", None, _Options)
_SETTERS = {
    "base_url": _fn("weave_client_options_set_base_url", _status, _Options, c_char_p, _err),
    "api_key": _fn("weave_client_options_set_api_key", _status, _Options, c_char_p, _err),
    "timeout": _fn("weave_client_options_set_timeout_ms", _status, _Options, c_uint64, _err),
    "max_retries": _fn("weave_client_options_set_max_retries", _status, _Options, c_uint32, _err),
    "deadline": _fn("weave_client_options_set_deadline_ms", _status, _Options, c_uint64, _err),
    "retry_base_delay": _fn(
        "weave_client_options_set_retry_base_delay_ms", _status, _Options, c_uint64, _err
    ),
    "max_response_bytes": _fn(
        "weave_client_options_set_max_response_bytes", _status, _Options, c_uint64, _err
    ),
    "allow_insecure_http": _fn(
        "weave_client_options_set_allow_insecure_http", _status, _Options, c_bool, _err
    ),
}
_client_new = _fn("weave_client_new", _status, _Options, POINTER(_Client), _err)
_client_free = _fn("weave_client_free", None, _Client)

_ref_query_new = _fn(
    "weave_ref_feedback_query_new", _status, _Client, c_char_p, POINTER(_RefQuery), _err
)
_ref_query_add = _fn(
    "weave_ref_feedback_query_add",
    _status, _RefQuery, c_char_p, c_char_p, c_char_p, c_char_p, _out_str, _err,
)
_ref_query_add_note = _fn(
    "weave_ref_feedback_query_add_note", _status, _RefQuery, c_char_p, c_char_p, _out_str, _err
)
_ref_query_add_reaction = _fn(
    "weave_ref_feedback_query_add_reaction", _status, _RefQuery, c_char_p, c_char_p, _out_str, _err
)
_ref_query_add_batch = _fn(
    "weave_ref_feedback_query_add_batch", _status, _RefQuery, c_char_p, POINTER(_Refs), _err
)
_ref_query_replace = _fn(
    "weave_ref_feedback_query_replace",
    _status, _RefQuery, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, _out_str, _err,
)
_ref_query_purge = _fn("weave_ref_feedback_query_purge", _status, _RefQuery, c_char_p, _err)
_ref_query_execute = _fn(
    "weave_ref_feedback_query_execute", _status, _RefQuery, POINTER(_Feedbacks), _err
)
_ref_query_refresh = _fn(
    "weave_ref_feedback_query_refresh", _status, _RefQuery, POINTER(_Feedbacks), _err
)
_ref_query_refs = _fn("weave_ref_feedback_query_refs", _status, _RefQuery, POINTER(_Refs), _err)
_ref_query_free = _fn("weave_ref_feedback_query_free", None, _RefQuery)

_query_new = _fn(
    "weave_feedback_query_new",
    _status, _Client, c_char_p, c_char_p, c_char_p, c_int64, c_int64, c_bool, POINTER(_Query), _err,
)
_query_execute = _fn("weave_feedback_query_execute", _status, _Query, POINTER(_Feedbacks), _err)
_query_refresh = _fn("weave_feedback_query_refresh", _status, _Query, POINTER(_Feedbacks), _err)
_query_refs = _fn("weave_feedback_query_refs", _status, _Query, POINTER(_Refs), _err)
_query_free = _fn("weave_feedback_query_free", None, _Query)

_feedbacks_len = _fn("weave_feedbacks_len", c_size_t, _Feedbacks)
_feedbacks_get = _fn("weave_feedbacks_get", _Feedback, _Feedbacks, c_size_t)
_feedbacks_refs = _fn("weave_feedbacks_refs", _status, _Feedbacks, POINTER(_Refs), _err)
_feedbacks_to_json = _fn("weave_feedbacks_to_json", _status, _Feedbacks, _out_str, _err)
_feedbacks_format_table = _fn("weave_feedbacks_format_table", _status, _Feedbacks, _out_str, _err)
_feedbacks_free = _fn("weave_feedbacks_free", None, _Feedbacks)

_FIELDS = (
    "id", "project_id", "weave_ref", "feedback_type", "payload_json", "creator", "wb_user_id",
    "created_at", "annotation_ref", "runnable_ref", "call_ref", "trigger_ref", "queue_id",
)
_getters = {f: _fn("weave_feedback_" + f, c_char_p, _Feedback) for f in _FIELDS}
_feedback_to_json = _fn("weave_feedback_to_json", _status, _Feedback, _out_str, _err)

_refs_len = _fn("weave_refs_len", c_size_t, _Refs)
_refs_get = _fn("weave_refs_get", c_char_p, _Refs, c_size_t)
_refs_free = _fn("weave_refs_free", None, _Refs)


# ----------------------------------------------------------------------------- errors


class WeaveError(Exception):
    """A failed call: `status` (Status), `message` (the library's; it names the status and the
    HTTP status), `http_status` (0 without an HTTP answer), `attempts` (HTTP attempts, for
    errors out of the retry loop), `operation` (the C function), `feedback_ids` (the ids a
    failed add, replace or batch used, in item order: after SERVER, TRANSPORT, TIMEOUT,
    RATE_LIMITED or DECODE those rows may have been stored), `pending` (after a failed
    Client.flush: the rows still queued, None if they could not be counted; else None)."""

    def __init__(self, operation: str, status: int, message: str, http_status: int = 0,
                 attempts: int = 0, feedback_ids: Sequence[str] = ()) -> None:
        try:
            self.status: Status | int = Status(status)
        except ValueError:
            self.status = status
        self.operation = operation
        self.message = message
        self.http_status = http_status
        self.attempts = attempts
        self.feedback_ids: list[str] = list(feedback_ids)
        self.pending: Optional[int] = None
        super().__init__(f"{operation}: {message}")


class ClosedError(RuntimeError):
    """A method was called on a closed handle."""


def _text(raw: Optional[bytes]) -> Optional[str]:
    return None if raw is None else raw.decode("utf-8")


def _call(operation: str, fn: Callable[..., int], *args: Any) -> None:
    """Calls fn(*args, &err); raises WeaveError (copying and freeing the C error) on failure."""
    err = _Error()
    status = fn(*args, byref(err))
    if status == Status.OK:
        return
    if not err:
        raise WeaveError(operation, status, _text(_status_str(status)) or "")
    try:
        ids = [_text(_error_feedback_id_at(err, i)) or ""
               for i in range(_error_feedback_id_count(err))]
        if not ids and _error_feedback_id(err):
            ids = [_text(_error_feedback_id(err)) or ""]
        raise WeaveError(
            operation, _error_status(err), _text(_error_message(err)) or "",
            _error_http_status(err), _error_attempts(err), ids,
        )
    finally:
        _error_free(err)


def _cstr(value: Optional[str]) -> Optional[bytes]:
    """A str as NUL-terminated UTF-8; None stays NULL. A NUL character would silently cut the
    string short on the C side, so it is refused."""
    if value is None:
        return None
    if "\0" in value:
        raise ValueError("string contains a NUL character")
    return value.encode("utf-8")


def _take_string(out: Any) -> Optional[str]:
    """Copies an owned `char *` and frees it with weave_string_free."""
    if not out.value:
        return None
    try:
        return ctypes.string_at(out.value).decode("utf-8")
    finally:
        _string_free(out)


def _take_refs(refs: Any) -> list[str]:
    try:
        return [_text(_refs_get(refs, i)) or "" for i in range(_refs_len(refs))]
    finally:
        _refs_free(refs)


def version() -> str:
    """The C library's version, "MAJOR.MINOR.PATCH"."""
    return _text(_version()) or ""


def _check_version() -> None:
    major, minor = (int(x) for x in version().split(".")[:2])
    if major != ABI_MAJOR or minor < ABI_MINOR:
        raise ImportError(f"weave_feedback needs libweave_feedback {ABI_MAJOR}.{ABI_MINOR} or a "
                          f"later {ABI_MAJOR}.x, found {version()}")


_check_version()


# ----------------------------------------------------------------------------- handles


class _Handle:
    """A C handle with a lock, an idempotent close() and a finalizer as the backstop."""

    def __init__(self, ptr: Any, free: Callable[[Any], None]) -> None:
        self._ptr = ptr
        self._lock = threading.Lock()
        # The finalizer holds the pointer and the free function, never self.
        self._finalizer = weakref.finalize(self, free, ptr)

    def close(self) -> None:
        """Frees the C handle now (after a call in flight). Idempotent."""
        with self._lock:
            self._finalizer()  # runs the free at most once
            self._ptr = None

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _live(self) -> Any:
        if self._ptr is None:
            raise ClosedError(f"{type(self).__name__} is closed")
        return self._ptr

    def _call(self, operation: str, fn: Callable[..., int], *args: Any) -> None:
        """The one shape of every fallible call: under the lock, on the live handle, with the
        error out-parameter; raises WeaveError or ClosedError."""
        with self._lock:
            _call(operation, fn, self._live(), *args)

    def _call_out(self, operation: str, fn: Callable[..., int], out: Any, *args: Any) -> Any:
        """_call with a trailing out-parameter `out` (before the error); returns `out`."""
        self._call(operation, fn, *args, byref(out))
        return out


_H = TypeVar("_H", bound="_Handle")


def _ms(seconds: float) -> int:
    return max(0, int(round(seconds * 1000)))


# Query settings, len()/q[i] and scorer feedback: base classes of the query classes below.
from ._query_mixins import _client_get_feedback, _first_row, _ProjectCollection  # noqa: E402
from ._query_mixins import _RefCollection, SortKey as SortKey  # noqa: E402
# The outbox's options and calls: a base class of Client.
from ._outbox import _OUTBOX_SETTERS, _OutboxClient, OutboxCounters as OutboxCounters  # noqa: E402

_SETTERS.update(_OUTBOX_SETTERS)


class Client(_OutboxClient):
    """A connection to a Weave trace server. Thread-safe.

    Without arguments the C library reads its configuration from the environment
    (WF_TRACE_SERVER_URL, WANDB_API_KEY, ...): it is given NULL options. Durations in seconds.

    `outbox_path` (a SQLite file, created if missing) makes every add commit its rows to the
    file before sending them: adds return the ids whether or not the server took the rows, and
    what was not delivered stays queued for flush() (see _OutboxClient). `outbox_max_rows`
    (default 100000; an add that would go over raises WeaveError(OUTBOX_FULL) and queues
    nothing) and `outbox_lease` (default 60 s: how long a claim on rows lasts) tune it.
    """

    def __init__(self, *, base_url: Optional[str] = None, api_key: Optional[str] = None,
                 timeout: Optional[float] = None, max_retries: Optional[int] = None,
                 deadline: Optional[float] = None,
                 retry_base_delay: Optional[float] = None,
                 max_response_bytes: Optional[int] = None,
                 allow_insecure_http: Optional[bool] = None,
                 outbox_path: Optional[str | os.PathLike[str]] = None,
                 outbox_max_rows: Optional[int] = None,
                 outbox_lease: Optional[float] = None) -> None:
        settings: dict[str, Any] = {
            "base_url": _cstr(base_url), "api_key": _cstr(api_key),
            "timeout": None if timeout is None else _ms(timeout),
            "max_retries": max_retries,
            "deadline": None if deadline is None else _ms(deadline),
            "retry_base_delay": None if retry_base_delay is None else _ms(retry_base_delay),
            "max_response_bytes": max_response_bytes,
            "allow_insecure_http": allow_insecure_http,
            "outbox_path": None if outbox_path is None else _cstr(os.fspath(outbox_path)),
            "outbox_max_rows": outbox_max_rows,
            "outbox_lease": None if outbox_lease is None else _ms(outbox_lease),
        }
        settings = {k: v for k, v in settings.items() if v is not None}
        if any(settings.get(k, 0) < 0 for k in ("max_retries", "max_response_bytes",
                                                 "outbox_max_rows")):
            raise ValueError("max_retries, max_response_bytes and outbox_max_rows must not be "
                             "negative")
        options = _options_new() if settings else _Options()  # NULL: the environment
        try:
            for key, value in settings.items():
                _call(_SETTERS[key].__name__, _SETTERS[key], options, value)
            ptr = _Client()
            _call("weave_client_new", _client_new, options, byref(ptr))
        finally:
            _options_free(options)  # the client copied them
        super().__init__(ptr, _client_free)

    def ref_feedback_query(self, ref: str) -> RefFeedbackQuery:
        """The feedback on one ref. A string that is not a ref raises WeaveError(INVALID_REF)."""
        out = self._call_out("weave_ref_feedback_query_new", _ref_query_new, _RefQuery(),
                             _cstr(ref))
        return RefFeedbackQuery(out, ref)

    def feedback_query(self, entity: str, project: str, *, query: Any = None,
                       offset: Optional[int] = None, limit: Optional[int] = None,
                       show_refs: bool = False) -> FeedbackQuery:
        """A project's feedback; `query` is a Query object (dict or JSON text), {"$expr": ...}."""
        if query is not None and not isinstance(query, str):
            query = json.dumps(query)
        out = self._call_out("weave_feedback_query_new", _query_new, _Query(), _cstr(entity),
                             _cstr(project), _cstr(query), -1 if offset is None else offset,
                             -1 if limit is None else limit, show_refs)
        return FeedbackQuery(out)

    def get_feedback(self, entity: str, project: str, feedback_id: str) -> Feedback:
        """The row with this id in entity/project (the Python SDK's client.get_feedback(id)).
        No such row raises WeaveError(NOT_FOUND) with http_status 0 (the server answered, with
        no row). One request. Calls on one Client are serialised by its lock, as every call on
        a handle is: use a Client per thread for parallel lookups."""
        out = self._call_out("weave_client_get_feedback", _client_get_feedback, _Feedbacks(),
                             _cstr(entity), _cstr(project), _cstr(feedback_id))
        return _first_row(out)


class _Fetching(_Handle):
    _execute: Any
    _refresh: Any
    _refs: Any
    _prefix: str

    def execute(self) -> Feedbacks:
        """The rows, fetched on first use (and after changes), else from the cache."""
        return self._fetch("execute", self._execute)

    def refresh(self) -> Feedbacks:
        """Fetches the rows now and makes them the cached result."""
        return self._fetch("refresh", self._refresh)

    def refs(self) -> list[str]:
        """The distinct refs of the rows."""
        return _take_refs(self._call_out(f"{self._prefix}_refs", self._refs, _Refs()))

    def _fetch(self, kind: str, fn: Callable[..., int]) -> Feedbacks:
        return Feedbacks(self._call_out(f"{self._prefix}_{kind}", fn, _Feedbacks()))


class RefFeedbackQuery(_Fetching, _RefCollection):
    """The feedback on one ref: add, purge, query; len(q) and q[i] read its rows (one fetch).
    Calls are serialised by a lock."""

    _execute = staticmethod(_ref_query_execute)
    _refresh = staticmethod(_ref_query_refresh)
    _refs = staticmethod(_ref_query_refs)
    _prefix = "weave_ref_feedback_query"

    def __init__(self, ptr: Any, ref: str) -> None:
        super().__init__(ptr, _ref_query_free)
        self.ref = ref

    def add(self, feedback_type: str, payload: Any = None, *, creator: Optional[str] = None,
            annotation_ref: Optional[str] = None) -> str:
        """Adds feedback of a custom type or wandb.annotation.<name>. `payload` is a dict (or
        JSON text); None means {}. Returns the new row's id."""
        return self._added("weave_ref_feedback_query_add", _ref_query_add, _cstr(feedback_type),
                           _cstr(_payload(payload)), _cstr(creator), _cstr(annotation_ref))

    def add_batch(self, items: Sequence[Mapping[str, Any]]) -> list[str]:
        """Adds many rows in one request. Each item is a dict with "feedback_type" and
        optionally "payload" (a dict), "creator", "annotation_ref", "id". Every item is checked
        before anything is sent; a batch the server refuses stores nothing (the WeaveError's
        feedback_ids name every item). Returns the new ids in item order."""
        items_json = json.dumps(list(items))
        out = self._call_out("weave_ref_feedback_query_add_batch", _ref_query_add_batch, _Refs(),
                             _cstr(items_json))
        return _take_refs(out)

    def replace(self, feedback_id: str, feedback_type: str, payload: Any = None, *,
                creator: Optional[str] = None, annotation_ref: Optional[str] = None) -> str:
        """Replaces the content of the row `feedback_id`, keeping its id (returned). When the
        server refuses the new content the old one is kept or written back."""
        return self._added("weave_ref_feedback_query_replace", _ref_query_replace,
                           _cstr(feedback_id), _cstr(feedback_type), _cstr(_payload(payload)),
                           _cstr(creator), _cstr(annotation_ref))

    def add_note(self, note: str, *, creator: Optional[str] = None) -> str:
        """Adds a note (wandb.note.1), 1 to 1024 characters. Returns the id."""
        return self._added("weave_ref_feedback_query_add_note", _ref_query_add_note,
                           _cstr(note), _cstr(creator))

    def add_reaction(self, emoji: str, *, creator: Optional[str] = None) -> str:
        """Adds an emoji reaction (wandb.reaction.1). Returns the id."""
        return self._added("weave_ref_feedback_query_add_reaction", _ref_query_add_reaction,
                           _cstr(emoji), _cstr(creator))

    def purge(self, feedback_id: str) -> None:
        """Deletes the row with this id anywhere in the ref's project (as the Python SDK)."""
        self._call("weave_ref_feedback_query_purge", _ref_query_purge, _cstr(feedback_id))

    def _added(self, operation: str, fn: Callable[..., int], *args: Any) -> str:
        return _take_string(self._call_out(operation, fn, c_void_p(), *args)) or ""


class FeedbackQuery(_Fetching, _ProjectCollection):
    """A project's feedback, fetched lazily; len(q) and q[i] read its rows (one fetch)."""

    _execute = staticmethod(_query_execute)
    _refresh = staticmethod(_query_refresh)
    _refs = staticmethod(_query_refs)
    _prefix = "weave_feedback_query"

    def __init__(self, ptr: Any) -> None:
        super().__init__(ptr, _query_free)

    def pages(self, page_size: int) -> Pages:
        """Walks every row, page_size rows per request (0 raises WeaveError(INVALID_ARGUMENT)):
        an iterator of pages (Feedbacks), in created_at then id order; rows added or deleted
        during the walk are never skipped or repeated. The query's filter applies, its offset
        skips rows before the first page, its limit bounds the whole walk; its cache is not
        used. Nothing is fetched until the first page is asked for."""
        return Pages._start(self, page_size)


@dataclass(frozen=True)
class Feedback:
    """One row, copied into Python strings (absent fields are None)."""

    id: str
    project_id: str
    weave_ref: str
    feedback_type: str
    payload_json: str
    creator: Optional[str]
    wb_user_id: Optional[str]
    created_at: str
    annotation_ref: Optional[str]
    runnable_ref: Optional[str]
    call_ref: Optional[str]
    trigger_ref: Optional[str]
    queue_id: Optional[str]
    json: str
    """The whole row as JSON text, with the wire key names."""

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.payload_json)  # always an object
        return value

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at.replace("Z", "+00:00"))


class Feedbacks(_Handle):
    """A result: the rows (copied at once) and the C handle for the table and JSON."""

    def __init__(self, ptr: Any) -> None:
        super().__init__(ptr, _feedbacks_free)
        self._rows = tuple(_row(_feedbacks_get(ptr, i)) for i in range(_feedbacks_len(ptr)))

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Feedback]:
        return iter(self._rows)

    def __getitem__(self, index: int) -> Feedback:
        return self._rows[index]

    def table(self) -> str:
        """The Python SDK's plain-text table."""
        return self._text("weave_feedbacks_format_table", _feedbacks_format_table)

    def to_json(self) -> str:
        """The rows as JSON text, with the wire key names."""
        return self._text("weave_feedbacks_to_json", _feedbacks_to_json)

    def refs(self) -> list[str]:
        """The distinct refs of the rows, in first-seen order."""
        return _take_refs(self._call_out("weave_feedbacks_refs", _feedbacks_refs, _Refs()))

    def _text(self, operation: str, fn: Callable[..., int]) -> str:
        return _take_string(self._call_out(operation, fn, c_void_p())) or ""


def _row(ptr: Any) -> Feedback:
    """Copies one borrowed row."""
    out = c_void_p()
    _call("weave_feedback_to_json", _feedback_to_json, ptr, byref(out))
    fields: dict[str, Any] = {f: _text(_getters[f](ptr)) for f in _FIELDS}
    return Feedback(**fields, json=_take_string(out) or "")


def _payload(payload: Any) -> Optional[str]:
    """A payload as JSON text: a str is sent as is, None means {} (NULL)."""
    if payload is None or isinstance(payload, str):
        return payload
    return json.dumps(payload)


# The page cursor lives in its own module; it needs the helpers above.
from ._pages import Pages  # noqa: E402
from ._refs import call_ref as call_ref, object_ref as object_ref  # noqa: E402
from ._refs import op_ref as op_ref, table_ref as table_ref  # noqa: E402
