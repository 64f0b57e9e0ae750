"""Refs from their parts: call_ref, object_ref, op_ref, table_ref (the C weave_ref_build_*
functions; no network). Imported by the package's __init__ once its helpers exist."""

from __future__ import annotations

from ctypes import POINTER, byref, c_char_p, c_size_t, c_void_p
from typing import Any, Optional

from . import _call, _cstr, _err, _fn, _out_str, _status, _take_string

_c_strings = POINTER(c_char_p)  # const char *const *
_build_call = _fn(
    "weave_ref_build_call",
    _status, c_char_p, c_char_p, c_char_p, _c_strings, c_size_t, _out_str, _err,
)
_build_object = _fn(
    "weave_ref_build_object",
    _status, c_char_p, c_char_p, c_char_p, c_char_p, _c_strings, c_size_t, _out_str, _err,
)
_build_op = _fn(
    "weave_ref_build_op",
    _status, c_char_p, c_char_p, c_char_p, c_char_p, _c_strings, c_size_t, _out_str, _err,
)
_build_table = _fn(
    "weave_ref_build_table", _status, c_char_p, c_char_p, c_char_p, _out_str, _err
)


def _build(operation: str, fn: Any, parts: tuple[str, ...],
           extra: Optional[tuple[str, ...]]) -> str:
    """Runs a builder through _call; the extra parts go as a C array (NULL when empty)."""
    args: list[Any] = [_cstr(p) for p in parts]
    if extra is not None:
        encoded = [_cstr(x) for x in extra]
        array = (c_char_p * len(encoded))(*encoded) if encoded else None
        args += [array, len(encoded)]
    out = c_void_p()
    _call(operation, fn, *args, byref(out))
    return _take_string(out) or ""


def call_ref(entity: str, project: str, call_id: str, *extra: str) -> str:
    """weave:///<entity>/<project>/call/<call_id>, then the extra path parts, each
    percent-escaped as the Python SDK's CallRef(...).uri writes them. An empty part, or a "/"
    in entity, project or call_id, raises WeaveError(INVALID_ARGUMENT) (the ref would not parse
    back to these parts)."""
    return _build("weave_ref_build_call", _build_call, (entity, project, call_id), extra)


def object_ref(entity: str, project: str, name: str, version: str, *extra: str) -> str:
    """weave:///<entity>/<project>/object/<name>:<version>, then the extra path parts (usually
    edge/value pairs: "key", "attr", "index" or "id" and a value), each percent-escaped, as the
    SDK's ObjectRef(...).uri. An empty part, a "/" in any part or a ":" in name or version
    raises WeaveError(INVALID_ARGUMENT)."""
    return _build("weave_ref_build_object", _build_object, (entity, project, name, version), extra)


def op_ref(entity: str, project: str, name: str, version: str, *extra: str) -> str:
    """weave:///<entity>/<project>/op/<name>:<version>, with the rules of object_ref (the
    SDK's OpRef(...).uri)."""
    return _build("weave_ref_build_op", _build_op, (entity, project, name, version), extra)


def table_ref(entity: str, project: str, digest: str) -> str:
    """weave:///<entity>/<project>/table/<digest> (the SDK's TableRef(...).uri; a table ref
    takes no extra parts). An empty part, a "/" in any part or a ":" in digest raises
    WeaveError(INVALID_ARGUMENT)."""
    return _build("weave_ref_build_table", _build_table, (entity, project, digest), None)
