"""FeedbackQuery.pages(): a walk over a project's rows, one page at a time, through the C
library's weave_feedback_cursor. Imported by the package's __init__ once its helpers exist."""

from __future__ import annotations

from ctypes import POINTER, byref, c_bool, c_size_t
from typing import Any

from . import Feedbacks, _Feedbacks, _Handle, _Query, _err, _fn, _opaque, _status

_Cursor = _opaque("weave_feedback_cursor")
_cursor_new = _fn("weave_feedback_cursor_new", _status, _Query, c_size_t, POINTER(_Cursor), _err)
_cursor_next = _fn(
    "weave_feedback_cursor_next", _status, _Cursor, POINTER(_Feedbacks), POINTER(c_bool), _err
)
_cursor_free = _fn("weave_feedback_cursor_free", None, _Cursor)


class Pages(_Handle):
    """An iterator of pages (Feedbacks, each with 1 to page_size rows) over every row of a
    FeedbackQuery, from FeedbackQuery.pages(page_size). Memory holds the pages you keep.

    Pages come in a stable order, created_at then id, and each request asks for the rows after
    the last one seen, so rows added or deleted during the walk are never skipped or repeated
    (new rows come at the end). The C cursor is freed when the walk ends, fails or the object
    is closed (it is a context manager); after a failure the walk is over."""

    def __init__(self, ptr: Any) -> None:
        super().__init__(ptr, _cursor_free)
        self._done = False

    @classmethod
    def _start(cls, query: _Handle, page_size: int) -> Pages:
        if page_size < 0:  # c_size_t would wrap it around
            raise ValueError("page_size must not be negative")
        return cls(query._call_out("weave_feedback_cursor_new", _cursor_new, _Cursor(), page_size))

    def __iter__(self) -> Pages:
        return self

    def __next__(self) -> Feedbacks:
        """Fetches the next page (network call: blocks, without the GIL)."""
        if self._done:
            raise StopIteration
        page, done = _Feedbacks(), c_bool()
        try:
            self._call("weave_feedback_cursor_next", _cursor_next, byref(page), byref(done))
        except Exception:
            if not self.closed:  # a failed page ends the walk (ClosedError leaves it as is)
                self._finish()
            raise
        if done.value:
            self._finish()
            raise StopIteration
        return Feedbacks(page)

    def _finish(self) -> None:
        self._done = True
        self.close()
