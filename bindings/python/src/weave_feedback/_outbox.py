"""The durable outbox: the Client options that give a client one (outbox_path, outbox_max_rows,
outbox_lease) and the client's calls on it (flush, outbox_pending, dead_letters,
purge_dead_letters, outbox_counters). A base class of Client, so the package's __init__ imports
this module before defining it; every call goes through _Handle._call."""

from __future__ import annotations

import json
from ctypes import POINTER, Structure, byref, c_char_p, c_uint64, c_void_p
from dataclasses import dataclass
from typing import Any, Optional

from . import WeaveError, _Client, _Handle, _ms, _Options, _cstr, _err, _fn, _out_str, _status
from . import _take_string


class _Counters(Structure):
    """struct weave_outbox_counters."""

    _fields_ = [("queued", c_uint64), ("delivered", c_uint64), ("retried", c_uint64),
                ("dead", c_uint64)]


# Client options, merged into the Client's setters by the package's __init__.
_OUTBOX_SETTERS = {
    "outbox_path": _fn("weave_client_options_set_outbox_path", _status, _Options, c_char_p, _err),
    "outbox_max_rows": _fn(
        "weave_client_options_set_outbox_max_rows", _status, _Options, c_uint64, _err
    ),
    "outbox_lease": _fn(
        "weave_client_options_set_outbox_lease_ms", _status, _Options, c_uint64, _err
    ),
}
_flush = _fn("weave_client_flush", _status, _Client, c_uint64, POINTER(c_uint64), _err)
_pending = _fn("weave_client_outbox_pending", _status, _Client, POINTER(c_uint64), _err)
_dead_letters = _fn("weave_client_outbox_dead_letters_json", _status, _Client, _out_str, _err)
_purge_dead = _fn(
    "weave_client_outbox_purge_dead_letters", _status, _Client, c_char_p, POINTER(c_uint64), _err
)
_counters = _fn("weave_client_outbox_counters", _status, _Client, POINTER(_Counters), _err)

# Not a count the outbox can reach: left in place when weave_client_flush could not count.
_UNCOUNTED = 2**64 - 1


@dataclass(frozen=True)
class OutboxCounters:
    """What a client's outbox did since the client was built."""

    queued: int
    """Rows this client queued."""
    delivered: int
    """Rows this client saw stored on the server (sent, or found by a look-up)."""
    retried: int
    """Rows claimed again after an earlier claim that did not settle them."""
    dead: int
    """Rows this client moved to the dead letters."""


class _OutboxClient(_Handle):
    """The outbox calls of Client. Each holds the Client's lock while it runs (a flush up to
    its deadline), as every call on a handle does."""

    def flush(self, deadline: float) -> int:
        """Sends what the outbox holds, in batches, until nothing is left or `deadline`
        seconds have passed (0: only counts). Returns the number of rows still queued: 0 once
        everything is delivered (more only if another process sharing the file queued rows
        meanwhile). Raises WeaveError with status TIMEOUT when rows are left at the deadline
        (its message gives the last failure), UNAUTHORIZED at once on HTTP 401/403 (the rows
        stay queued: fix the key and flush again); the error's `pending` is the number of rows
        still queued (None if it could not be counted). Without an outbox: 0."""
        pending = c_uint64(_UNCOUNTED)
        try:
            self._call("weave_client_flush", _flush, _ms(deadline), byref(pending))
        except WeaveError as e:
            e.pending = None if pending.value == _UNCOUNTED else pending.value
            raise
        return pending.value

    def outbox_pending(self) -> int:
        """Rows in the outbox not yet delivered (by any process sharing it), without sending
        anything; 0 without an outbox."""
        return int(self._call_out("weave_client_outbox_pending", _pending, c_uint64()).value)

    def dead_letters(self) -> list[dict[str, Any]]:
        """The rows the server refused (any 4xx but 401, 403, 408 and 429), oldest first: dicts
        with "id" (the id the add returned), "project_id", "http_status", "reason" (the
        server's), "failed_at_ms" (milliseconds since the Unix epoch) and "request" (the
        refused create request, a dict). They are never sent again. [] without an outbox."""
        out = self._call_out("weave_client_outbox_dead_letters_json", _dead_letters, c_void_p())
        letters: list[dict[str, Any]] = json.loads(_take_string(out) or "[]")
        return letters

    def purge_dead_letters(self, feedback_id: Optional[str] = None) -> int:
        """Deletes the dead letter with this feedback id, or every dead letter when it is None;
        returns how many were deleted. "" raises WeaveError(INVALID_ARGUMENT)."""
        purged = c_uint64()
        self._call("weave_client_outbox_purge_dead_letters", _purge_dead, _cstr(feedback_id),
                   byref(purged))
        return int(purged.value)

    def outbox_counters(self) -> OutboxCounters:
        """This client's outbox counters (all 0 without an outbox)."""
        c = self._call_out("weave_client_outbox_counters", _counters, _Counters())
        return OutboxCounters(queued=c.queued, delivered=c.delivered, retried=c.retried,
                              dead=c.dead)
