"""Query methods beyond execute(): settings changed after a query is made (offset, limit, Ref
column on both query kinds; reaction, sort order and projected fields on a project's query), a
query read as a sequence (len(), q[i] with negative indices), and scorer feedback. Base classes
of the query classes, so the package's __init__ imports this module before defining them;
every call goes through _Handle._call."""

from __future__ import annotations

import json
import operator
from ctypes import POINTER, c_bool, c_char_p, c_int64, c_size_t, c_void_p
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, Union

from . import _Client, _Feedbacks, _Handle, _Query, _RefQuery, _cstr, _err, _fn, _out_str
from . import _status, _take_string

if TYPE_CHECKING:
    from . import Feedback

_client_get_feedback = _fn(
    "weave_client_get_feedback",
    _status, _Client, c_char_p, c_char_p, c_char_p, POINTER(_Feedbacks), _err,
)
_query_len = _fn("weave_feedback_query_len", _status, _Query, POINTER(c_size_t), _err)
_query_get = _fn("weave_feedback_query_get", _status, _Query, c_int64, POINTER(_Feedbacks), _err)
_query_set_offset = _fn("weave_feedback_query_set_offset", _status, _Query, c_int64, _err)
_query_set_limit = _fn("weave_feedback_query_set_limit", _status, _Query, c_int64, _err)
_query_set_show_refs = _fn("weave_feedback_query_set_show_refs", _status, _Query, c_bool, _err)
_query_set_reaction = _fn("weave_feedback_query_set_reaction", _status, _Query, c_char_p, _err)
_query_set_sort_by = _fn("weave_feedback_query_set_sort_by", _status, _Query, c_char_p, _err)
_query_set_fields = _fn("weave_feedback_query_set_fields", _status, _Query, c_char_p, _err)
_query_fetch_projected = _fn(
    "weave_feedback_query_fetch_projected", _status, _Query, _out_str, _err
)
_ref_query_len = _fn("weave_ref_feedback_query_len", _status, _RefQuery, POINTER(c_size_t), _err)
_ref_query_get = _fn(
    "weave_ref_feedback_query_get", _status, _RefQuery, c_int64, POINTER(_Feedbacks), _err
)
_ref_query_set_offset = _fn("weave_ref_feedback_query_set_offset", _status, _RefQuery, c_int64,
                            _err)
_ref_query_set_limit = _fn("weave_ref_feedback_query_set_limit", _status, _RefQuery, c_int64, _err)
_ref_query_set_show_refs = _fn(
    "weave_ref_feedback_query_set_show_refs", _status, _RefQuery, c_bool, _err
)
_ref_query_add_runnable = _fn(
    "weave_ref_feedback_query_add_runnable",
    _status, _RefQuery, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, _out_str, _err,
)


def _first_row(out: Any) -> Feedback:
    """The one row of a one-row weave_feedbacks; frees the list."""
    from . import Feedbacks  # defined after this module is imported

    with Feedbacks(out) as rows:
        return rows[0]


def _optional_count(value: Optional[int]) -> int:
    return -1 if value is None else operator.index(value)


class _Collection(_Handle):
    """len(), q[i], and offset, limit and the Ref column set after the query is made."""

    _len: Any
    _get: Any
    _set_offset: Any
    _set_limit: Any
    _set_show_refs: Any
    _prefix: str

    def __len__(self) -> int:
        """The number of rows: the first use fetches them (as execute() does), later calls
        read the cache."""
        return int(self._call_out(f"{self._prefix}_len", self._len, c_size_t()).value)

    def __getitem__(self, index: int) -> Feedback:
        """Row `index` (negative: from the end), fetched on first use and then read from the
        cache. Out of range raises IndexError. Slices are not supported (TypeError)."""
        i = operator.index(index)
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of range for {n} rows")
        return _first_row(self._call_out(f"{self._prefix}_get", self._get, _Feedbacks(), i))

    def set_offset(self, offset: Optional[int]) -> None:
        """Skips the first `offset` rows (None: none). Clears the cache."""
        self._call(f"{self._prefix}_set_offset", self._set_offset, _optional_count(offset))

    def set_limit(self, limit: Optional[int]) -> None:
        """Returns at most `limit` rows (None: no limit). Clears the cache."""
        self._call(f"{self._prefix}_set_limit", self._set_limit, _optional_count(limit))

    def set_show_refs(self, show_refs: bool) -> None:
        """Shows or hides the Ref column of Feedbacks.table(). Clears the cache."""
        self._call(f"{self._prefix}_set_show_refs", self._set_show_refs, bool(show_refs))


class _RefCollection(_Collection):
    _len = staticmethod(_ref_query_len)
    _get = staticmethod(_ref_query_get)
    _set_offset = staticmethod(_ref_query_set_offset)
    _set_limit = staticmethod(_ref_query_set_limit)
    _set_show_refs = staticmethod(_ref_query_set_show_refs)

    def add_runnable(self, runnable_ref: str, output: Any, *, call_ref: Optional[str] = None,
                     trigger_ref: Optional[str] = None, creator: Optional[str] = None) -> str:
        """Adds a scorer's result, as the Python SDK's apply_scorer stores it: type
        wandb.runnable.<name> after the scorer's name, payload {"output": output}.
        `runnable_ref` is the scorer, an op or object version ref; `output` any JSON value
        (always encoded: a str becomes a JSON string); `call_ref` the call that ran the scorer
        (required for an op scorer); `trigger_ref` the monitor that triggered it. The server's
        rules are checked first, with its messages (INVALID_REF, INVALID_FEEDBACK). Returns the
        new row's id."""
        out = self._call_out("weave_ref_feedback_query_add_runnable", _ref_query_add_runnable,
                             c_void_p(), _cstr(runnable_ref), _cstr(json.dumps(output)),
                             _cstr(call_ref), _cstr(trigger_ref), _cstr(creator))
        return _take_string(out) or ""


SortKey = Mapping[str, str]
"""One key of FeedbackQuery.set_sort_by: {"field": "payload.score", "direction": "desc"}."""


class _ProjectCollection(_Collection):
    _len = staticmethod(_query_len)
    _get = staticmethod(_query_get)
    _set_offset = staticmethod(_query_set_offset)
    _set_limit = staticmethod(_query_set_limit)
    _set_show_refs = staticmethod(_query_set_show_refs)

    def set_reaction(self, emoji: Optional[str]) -> None:
        """Keeps only reactions with exactly this emoji, on top of the query's filter (the
        Python SDK's get_feedback(reaction=...), which also uses offset 0, limit 100 and the Ref
        column: set those yourself). None or "" removes it. Clears the cache."""
        self._call("weave_feedback_query_set_reaction", _query_set_reaction, _cstr(emoji))

    def set_sort_by(self, keys: Union[Sequence[SortKey], str, None]) -> None:
        """Orders the rows by these keys in turn, each {"field": ..., "direction": "asc" or
        "desc"}, a field being a column (created_at, ...) or a payload path (payload.score); or
        JSON text. None restores created_at ascending; [] asks for no order. An unknown field
        raises WeaveError(INVALID_ARGUMENT) ("Unknown field: <name>") and leaves the query as it
        was. A query sorted otherwise than by created_at ascending cannot make pages(). Clears
        the cache."""
        text = keys if keys is None or isinstance(keys, str) else json.dumps([dict(k) for k in
                                                                              keys])
        self._call("weave_feedback_query_set_sort_by", _query_set_sort_by, _cstr(text))

    def set_fields(self, fields: Union[Sequence[str], str, None]) -> None:
        """Asks for these fields only: column names and payload paths (["id",
        "payload.score"]); None or [] means whole rows. An unknown field raises
        WeaveError(INVALID_ARGUMENT) and leaves the query as it was. A projected query is read
        only with fetch_projected(): execute(), len(), q[i] and pages() raise
        WeaveError(INVALID_ARGUMENT). Clears the cache."""
        text = fields if fields is None or isinstance(fields, str) else json.dumps(list(fields))
        self._call("weave_feedback_query_set_fields", _query_set_fields, _cstr(text))

    def fetch_projected(self) -> list[dict[str, Any]]:
        """The rows with only the fields set by set_fields() (whole rows without), as dicts
        exactly as the server sent them: a column keeps its name, a payload path such as
        payload.score is its own key. One request each call, nothing cached."""
        out = self._call_out("weave_feedback_query_fetch_projected", _query_fetch_projected,
                             c_void_p())
        rows: list[dict[str, Any]] = json.loads(_take_string(out) or "[]")
        return rows
