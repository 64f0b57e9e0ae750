"""weave_feedback: a Python (ctypes) wrapper over the C API of weave-feedback.

    with Client() as client:                      # configuration from the environment
        with client.ref_feedback("weave:///acme/chatbot/call/0192f3a4-...") as q:
            q.add_reaction("👍")
            for row in q.execute():
                print(row.feedback_type, row.payload)

Standard library only. Every C function used declares its argtypes and restype (opaque handles
are distinct pointer types, so passing the wrong handle is a TypeError, not a crash).

Memory: handles are freed by close() (idempotent; the classes are context managers), with a
weakref.finalize as the backstop: it holds the raw pointer, never the object. Owned strings
(`char **` outputs) are copied and freed with weave_string_free; rows, ids, tables and errors
are copied into Python objects at once.

Threads: ctypes releases the GIL during every foreign call, so network calls do not stop other
Python threads. A Client may be shared by any number of threads; a lock serialises calls on
a query (the C handle takes one call at a time) and close() waits for the call in flight.

The library is loaded from $WEAVE_FEEDBACK_LIB, else libweave_feedback.so on the loader's path
(LD_LIBRARY_PATH), else ../../target/debug/ relative to this file.
"""

from __future__ import annotations

import ctypes
import enum
import json
import os
import threading
import weakref
from ctypes import POINTER, byref, c_bool, c_char_p, c_int, c_int64, c_size_t, c_uint16
from ctypes import c_uint32, c_uint64, c_void_p
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator, Optional


def _load() -> ctypes.CDLL:
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [
        os.environ.get("WEAVE_FEEDBACK_LIB"),
        "libweave_feedback.so",
        os.path.join(here, "..", "..", "target", "debug", "libweave_feedback.so"),
    ]
    errors = []
    for name in candidates:
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError as e:
            errors.append(str(e))
    raise OSError("cannot load libweave_feedback.so: " + "; ".join(errors))


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


# Opaque handle types.
class _Opaque(ctypes.Structure):
    pass


def _opaque(name: str) -> type:
    return POINTER(type(name, (_Opaque,), {}))


_Options = _opaque("weave_client_options")
_Client = _opaque("weave_client")
_Error = _opaque("weave_error")
_RefQuery = _opaque("weave_ref_feedback_query")
_Query = _opaque("weave_feedback_query")
_Feedbacks = _opaque("weave_feedbacks")
_Feedback = _opaque("weave_feedback")
_Refs = _opaque("weave_refs")

_status = c_int  # a C enum: int-sized
_err = POINTER(_Error)  # weave_error **
_out_str = POINTER(c_void_p)  # char **: c_void_p, so that the pointer can be freed


def _fn(name: str, restype, *argtypes) -> Any:
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_status_str = _fn("weave_status_str", c_char_p, c_int)
_version = _fn("weave_feedback_version", c_char_p)
_error_message = _fn("weave_error_message", c_char_p, _Error)
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

_refs_len = _fn("weave_refs_len", c_size_t, _Refs)
_refs_get = _fn("weave_refs_get", c_char_p, _Refs, c_size_t)
_refs_free = _fn("weave_refs_free", None, _Refs)


# ----------------------------------------------------------------------------- errors


class WeaveError(Exception):
    """A failed call: `status` (Status), `message`, `http_status` (0 without an HTTP answer),
    `attempts` (HTTP attempts, for errors out of the retry loop), `operation` (C function)."""

    def __init__(self, operation: str, status: int, message: str, http_status: int = 0,
                 attempts: int = 0) -> None:
        try:
            self.status: Status | int = Status(status)
        except ValueError:
            self.status = status
        self.operation = operation
        self.message = message
        self.http_status = http_status
        self.attempts = attempts
        detail = f"{_text(_status_str(status))}"
        if http_status:
            detail += f", HTTP {http_status}"
        super().__init__(f"{operation}: {message} ({detail})")


class ClosedError(RuntimeError):
    """A method was called on a closed handle."""


def _text(raw: Optional[bytes]) -> Optional[str]:
    return None if raw is None else raw.decode("utf-8")


def _call(operation: str, fn, *args) -> None:
    """Calls fn(*args, &err); raises WeaveError (copying and freeing the C error) on failure."""
    err = _Error()
    status = fn(*args, byref(err))
    if status == Status.OK:
        return
    if not err:
        raise WeaveError(operation, status, _text(_status_str(status)) or "")
    try:
        raise WeaveError(
            operation, status, _text(_error_message(err)) or "",
            _error_http_status(err), _error_attempts(err),
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


def _take_string(out: c_void_p) -> Optional[str]:
    """Copies an owned `char *` and frees it with weave_string_free."""
    if not out.value:
        return None
    try:
        return ctypes.string_at(out.value).decode("utf-8")
    finally:
        _string_free(out)


def _take_refs(refs) -> list[str]:
    try:
        return [_text(_refs_get(refs, i)) or "" for i in range(_refs_len(refs))]
    finally:
        _refs_free(refs)


def version() -> str:
    """The C library's version, "MAJOR.MINOR.PATCH"."""
    return _text(_version()) or ""


# ----------------------------------------------------------------------------- handles


class _Handle:
    """A C handle with a lock, an idempotent close() and a finalizer as the backstop."""

    def __init__(self, ptr, free) -> None:
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

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _live(self):
        if self._ptr is None:
            raise ClosedError(f"{type(self).__name__} is closed")
        return self._ptr


def _ms(seconds: float) -> int:
    return max(0, int(round(seconds * 1000)))


class Client(_Handle):
    """A connection to a Weave trace server. Thread-safe.

    Without arguments the C library reads its configuration from the environment
    (WF_TRACE_SERVER_URL, WANDB_API_KEY, ...): it is given NULL options. Durations in seconds.
    """

    def __init__(self, *, base_url: Optional[str] = None, api_key: Optional[str] = None,
                 timeout: Optional[float] = None, max_retries: Optional[int] = None,
                 deadline: Optional[float] = None,
                 retry_base_delay: Optional[float] = None) -> None:
        settings = {
            "base_url": _cstr(base_url), "api_key": _cstr(api_key),
            "timeout": None if timeout is None else _ms(timeout),
            "max_retries": max_retries,
            "deadline": None if deadline is None else _ms(deadline),
            "retry_base_delay": None if retry_base_delay is None else _ms(retry_base_delay),
        }
        settings = {k: v for k, v in settings.items() if v is not None}
        if settings.get("max_retries", 0) < 0:  # ctypes would wrap it to 4294967295
            raise ValueError("max_retries must not be negative")
        options = _options_new() if settings else _Options()  # NULL: the environment
        try:
            for key, value in settings.items():
                _call(_SETTERS[key].__name__, _SETTERS[key], options, value)
            ptr = _Client()
            _call("weave_client_new", _client_new, options, byref(ptr))
        finally:
            _options_free(options)  # the client copied them
        super().__init__(ptr, _client_free)

    def ref_feedback(self, ref: str) -> RefFeedbackQuery:
        """The feedback on one ref. A string that is not a ref raises WeaveError(INVALID_REF)."""
        out = _RefQuery()
        with self._lock:
            _call("weave_ref_feedback_query_new", _ref_query_new, self._live(), _cstr(ref),
                  byref(out))
        return RefFeedbackQuery(out, ref)

    def project_feedback(self, entity: str, project: str, *, query: Any = None,
                         offset: Optional[int] = None, limit: Optional[int] = None,
                         show_refs: bool = False) -> FeedbackQuery:
        """A project's feedback; `query` is a Query object (dict or JSON text), {"$expr": ...}."""
        if query is not None and not isinstance(query, str):
            query = json.dumps(query)
        out = _Query()
        with self._lock:
            _call("weave_feedback_query_new", _query_new, self._live(), _cstr(entity),
                  _cstr(project), _cstr(query), -1 if offset is None else offset,
                  -1 if limit is None else limit, show_refs, byref(out))
        return FeedbackQuery(out)


class _Fetching(_Handle):
    _execute: Any
    _refresh: Any
    _prefix: str

    def execute(self) -> Feedbacks:
        """The rows, fetched on first use (and after changes), else from the cache."""
        return self._fetch("execute", self._execute)

    def refresh(self) -> Feedbacks:
        """Fetches the rows now and makes them the cached result."""
        return self._fetch("refresh", self._refresh)

    def _fetch(self, kind: str, fn) -> Feedbacks:
        out = _Feedbacks()
        with self._lock:
            _call(f"{self._prefix}_{kind}", fn, self._live(), byref(out))
        return Feedbacks(out)


class RefFeedbackQuery(_Fetching):
    """The feedback on one ref: add, purge, query. Calls are serialised by a lock."""

    _execute = staticmethod(_ref_query_execute)
    _refresh = staticmethod(_ref_query_refresh)
    _prefix = "weave_ref_feedback_query"

    def __init__(self, ptr, ref: str) -> None:
        super().__init__(ptr, _ref_query_free)
        self.ref = ref

    def add(self, feedback_type: str, payload: Any = None, *, creator: Optional[str] = None,
            annotation_ref: Optional[str] = None) -> str:
        """Adds feedback of a custom type or wandb.annotation.<name>. `payload` is a dict (or
        JSON text); None means {}. Returns the new row's id."""
        if payload is not None and not isinstance(payload, str):
            payload = json.dumps(payload)
        return self._added("weave_ref_feedback_query_add", _ref_query_add, _cstr(feedback_type),
                           _cstr(payload), _cstr(creator), _cstr(annotation_ref))

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
        with self._lock:
            _call("weave_ref_feedback_query_purge", _ref_query_purge, self._live(),
                  _cstr(feedback_id))

    def refs(self) -> list[str]:
        out = _Refs()
        with self._lock:
            _call("weave_ref_feedback_query_refs", _ref_query_refs, self._live(), byref(out))
        return _take_refs(out)

    def _added(self, operation: str, fn, *args) -> str:
        out = c_void_p()
        with self._lock:
            _call(operation, fn, self._live(), *args, byref(out))
        return _take_string(out) or ""


class FeedbackQuery(_Fetching):
    """A project's feedback, fetched lazily."""

    _execute = staticmethod(_query_execute)
    _refresh = staticmethod(_query_refresh)
    _prefix = "weave_feedback_query"

    def __init__(self, ptr) -> None:
        super().__init__(ptr, _query_free)


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

    @property
    def payload(self) -> dict:
        return json.loads(self.payload_json)

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at.replace("Z", "+00:00"))


class Feedbacks(_Handle):
    """A result: the rows (copied at once) and the C handle for the table and JSON."""

    def __init__(self, ptr) -> None:
        super().__init__(ptr, _feedbacks_free)
        self._rows = tuple(
            Feedback(**{f: _text(_getters[f](_feedbacks_get(ptr, i))) for f in _FIELDS})
            for i in range(_feedbacks_len(ptr))
        )

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
        out = _Refs()
        with self._lock:
            _call("weave_feedbacks_refs", _feedbacks_refs, self._live(), byref(out))
        return _take_refs(out)

    def _text(self, operation: str, fn) -> str:
        out = c_void_p()
        with self._lock:
            _call(operation, fn, self._live(), byref(out))
        return _take_string(out) or ""
