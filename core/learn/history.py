"""A run's history kept compactly: one typed column per field of each event kind, not one dict per line.

A run read from disk may hold up to 100,000 events. As Python dicts that is about 60 MB per run; here a step
costs 65 bytes (8 numbers and its kind), a full evaluation's 10,000 predicted digits 5 KB (two per byte).
Only the event kinds and fields of core.learn.events are kept: an unknown kind or field is dropped, a known
field of the wrong type refused (HistoryError). It reads like the list of event dicts it replaces:
iterating, indexing, len() and == give the same dicts (built when asked for).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator
from operator import itemgetter

import numpy as np

# kind -> its fields and their types: f float, i int, b bool, s text, p predicted digits, o small dict
SCHEMA: dict[str, tuple[tuple[str, str], ...]] = {
    "step": (("epoch", "f"), ("step", "i"), ("seen", "i"), ("seconds", "f"), ("loss", "f"), ("batch_acc", "f"),
             ("images_per_s", "f"), ("lr", "f")),
    "eval": (("epoch", "f"), ("step", "i"), ("seen", "i"), ("seconds", "f"), ("train_seconds", "f"),
             ("train_loss", "f"), ("test_loss", "f"), ("test_acc", "f"), ("n_test", "i"), ("full", "b"),
             ("test_preds", "p"), ("fine_tuned", "o")),
    "knn": (("k", "i"), ("test_acc", "f")),
    "diverged": (("step", "i"), ("reason", "s"), ("code", "s"), ("params", "o")),
    "final": (("status", "s"), ("test_acc", "f"), ("seconds", "f"), ("train_seconds", "f"),
              ("time_to_target_s", "f"), ("steps", "i"), ("seen", "i")),
}
KINDS = tuple(SCHEMA)
MAX_RARE = 64  # diverged and final events each, and evaluations with a `fine_tuned` note: a real run has one
MAX_TEXT = 2000  # characters of a reason, a code or a status
MAX_DICT = 16  # entries of params / fine_tuned
MAX_PREDS = 10_000  # predicted digits of one evaluation: MNIST's test set
MAX_SNAPSHOTS = 256  # evaluations whose predictions are kept; beyond it every other one's are dropped
_ARRAY = {"f": "d", "i": "q", "b": "b"}
_VALUE, _NONE, _ABSENT = 0, 1, 2  # a number column's mask
_MISSING = object()  # a field the event does not have
_INT64 = 2 ** 63


class HistoryError(ValueError):
    """An event whose known field has a value of the wrong type or size."""


def _pack(preds: list) -> tuple[int, bytes]:
    a = np.asarray(preds)
    if a.ndim != 1 or len(a) > MAX_PREDS or (len(a) and (a.dtype.kind not in "iu" or a.min() < 0 or a.max() > 9)):
        raise HistoryError(f"test_preds must be at most {MAX_PREDS} digits 0-9")
    padded = np.zeros(len(a) + len(a) % 2, dtype=np.uint8)
    padded[:len(a)] = a
    return len(a), ((padded[0::2] << 4) | padded[1::2]).tobytes()


def _unpack(packed: tuple[int, int, bytes]) -> list[int]:
    _ordinal, n, blob = packed
    b = np.frombuffer(blob, dtype=np.uint8)
    return np.stack([b >> 4, b & 15], axis=1).reshape(-1)[:n].tolist()


class _Table:
    """The rows of one event kind: a typed array per number field, a mask only for a field ever None/absent."""

    def __init__(self, kind: str, fields: tuple[tuple[str, str], ...]) -> None:
        self.fields, self.n, self.snapshots, self.stride = fields, 0, 0, 1
        self.code, self.rare = KINDS.index(kind), kind in ("diverged", "final")
        self.cols = {f: array(_ARRAY[t]) if t in _ARRAY else ([] if t == "s" else {}) for f, t in fields}
        self.masks: dict[str, array] = {}
        numbers = all(t in _ARRAY for _, t in fields)  # steps and kNN rows: every field a number
        self.fast = ([self.cols[f] for f, _ in fields], itemgetter(*(f for f, _ in fields))) if numbers else None

    def add_fast(self, event: dict) -> bool:
        """A row whose fields are all there and all numbers of their column's type, appended by C loops (most
        of a long history); False, with nothing appended, for any other row (then checked field by field)."""
        cols, get = self.fast
        try:
            any(map(array.append, cols, get(event)))
        except (KeyError, TypeError, OverflowError):
            for col in cols:
                if len(col) > self.n:
                    col.pop()
            return False
        for mask in self.masks.values():
            mask.append(_VALUE)
        self.n += 1
        return True

    def add_many_fast(self, events: list[dict]) -> bool:
        """add_fast for a list of rows at once (a block of a long history's steps): each column extended by one
        C loop; False, with nothing appended, if any row is not a plain row of numbers (then added one by one)."""
        cols, get = self.fast
        try:
            columns = list(zip(*map(get, events), strict=True))
        except KeyError:
            return False
        before = self.n
        try:
            for col, values in zip(cols, columns, strict=True):
                col.extend(values)
        except (TypeError, OverflowError):
            for col in cols:
                del col[before:]
            return False
        for mask in self.masks.values():
            mask.frombytes(bytes(len(events)))  # _VALUE is 0
        self.n += len(events)
        return True

    def _mark(self, field: str, state: int) -> None:
        mask = self.masks.get(field)
        if mask is None:  # every earlier row had a value
            mask = self.masks[field] = array("B", bytes(self.n))
        mask.append(state)

    def add(self, event: dict) -> None:
        for field, kind in self.fields:
            value = event.get(field, _MISSING)
            col = self.cols[field]
            if kind in _ARRAY:
                if value is _MISSING or value is None:
                    col.append(0)
                    self._mark(field, _ABSENT if value is _MISSING else _NONE)
                else:
                    col.append(_number(field, kind, value))
            elif kind == "s":
                if not (value is _MISSING or value is None or (isinstance(value, str) and len(value) <= MAX_TEXT)):
                    raise HistoryError(f"{field} must be a text of at most {MAX_TEXT} characters")
                col.append(value)
            elif kind == "p":
                if value is not _MISSING and value is not None:
                    if not isinstance(value, list | np.ndarray):
                        raise HistoryError("test_preds must be a list of digits")
                    self._keep_snapshot(col, _pack(value))
            elif value is not _MISSING:  # "o": a small dict of text or numbers
                if not (isinstance(value, dict) and len(value) <= MAX_DICT and all(
                        isinstance(k, str) and len(k) <= 100 and (isinstance(v, int | float | bool) or (
                            isinstance(v, str) and len(v) <= 200)) for k, v in value.items())):
                    raise HistoryError(f"{field} must be a small dict of numbers and short texts")
                if len(col) >= MAX_RARE:
                    raise HistoryError(f"more than {MAX_RARE} events carry {field}")
                col[self.n] = dict(value)
        for mask in self.masks.values():
            if len(mask) == self.n:  # a field with a mask that this row has a value for
                mask.append(_VALUE)
        self.n += 1

    def _keep_snapshot(self, col: dict, packed: tuple[int, bytes]) -> None:
        """Predictions of every `stride`-th evaluation and of the newest; the stride doubles whenever more than
        MAX_SNAPSHOTS would be kept, so a run of any length keeps an even spread of them."""
        ordinal, self.snapshots = self.snapshots, self.snapshots + 1
        newest = max(col, default=None)
        if newest is not None and col[newest][0] % self.stride:  # the previous newest was kept only as newest
            del col[newest]
        col[self.n] = (ordinal, *packed)
        while len(col) > MAX_SNAPSHOTS:
            self.stride *= 2
            for row in [r for r, (o, *_) in col.items() if o % self.stride and r != self.n]:
                del col[row]

    def row(self, i: int) -> dict:
        out = {}
        for field, kind in self.fields:
            col = self.cols[field]
            if kind in _ARRAY:
                mask = self.masks.get(field)
                state = mask[i] if mask is not None else _VALUE
                if state == _ABSENT:
                    continue
                out[field] = None if state == _NONE else bool(col[i]) if kind == "b" else col[i]
            elif kind == "s":
                if col[i] is not _MISSING:
                    out[field] = col[i]
            elif i in col:
                out[field] = _unpack(col[i]) if kind == "p" else dict(col[i])
        return out

    def iter_rows(self, kind: str) -> Iterator[dict]:
        """Every row in order; a table of plain numbers (steps, kNN) is zipped column by column in C."""
        if self.fast is not None and not self.masks:
            names = ("kind", *(f for f, _ in self.fields))
            for values in zip(*self.fast[0], strict=True):
                yield dict(zip(names, (kind, *values), strict=True))
        else:
            for i in range(self.n):
                yield {"kind": kind, **self.row(i)}

    def nbytes(self) -> int:
        total = sum(c.itemsize * len(c) for c in self.cols.values() if isinstance(c, array))
        total += sum(len(m) for m in self.masks.values())
        for col in self.cols.values():
            if isinstance(col, dict):
                total += sum(len(v[2]) + 120 if isinstance(v, tuple) else 400 for v in col.values())
            elif isinstance(col, list):
                total += sum(8 + (len(v) + 50 if isinstance(v, str) else 0) for v in col)
        return total


def _number(field: str, kind: str, value) -> float | int:
    if isinstance(value, bool):
        if kind == "b":
            return int(value)
        raise HistoryError(f"{field} must be a number")
    if kind == "b":
        raise HistoryError(f"{field} must be true or false")
    if kind == "i":
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or not -_INT64 <= value < _INT64:
            raise HistoryError(f"{field} must be a whole number")
        return value
    if not isinstance(value, int | float):
        raise HistoryError(f"{field} must be a number")
    try:
        return float(value)
    except OverflowError:  # a whole number of 400 digits
        raise HistoryError(f"{field} must be a number a float can hold") from None


class History:
    """A run's events, compact. Reads as a list of event dicts; `rows(kind)` reads one kind without the rest."""

    def __init__(self, events: Iterable[dict] = ()) -> None:
        self._order = array("B")
        self._tables = {kind: _Table(kind, fields) for kind, fields in SCHEMA.items()}
        for event in events:
            self.append(event)

    def append(self, event: dict) -> None:
        """Keep `event` if its kind is known (an unknown kind is dropped); HistoryError for a malformed field."""
        kind = event.get("kind")
        table = self._tables.get(kind)
        if table is None:
            return
        if table.rare and table.n >= MAX_RARE:
            raise HistoryError(f"more than {MAX_RARE} {kind} events")
        if table.fast is None or not table.add_fast(event):
            table.add(event)
        self._order.append(table.code)

    def extend(self, kind: str, events: list[dict]) -> None:
        """append() for events all of one `kind` (checked by the caller), in bulk where their rows allow it."""
        table = self._tables[kind]
        if table.fast is not None and not table.rare and events and table.add_many_fast(events):
            self._order.frombytes(bytes([table.code]) * len(events))
        else:
            for event in events:
                self.append(event)

    def rows(self, kind: str) -> Iterator[dict]:
        """The events of one kind, in order."""
        return self._tables[kind].iter_rows(kind)

    def last(self, kind: str) -> dict | None:
        table = self._tables[kind]
        return {"kind": kind, **table.row(table.n - 1)} if table.n else None

    def nbytes(self) -> int:
        """About what this history holds in memory (for caches bounded in bytes)."""
        return 200 + len(self._order) + sum(t.nbytes() + 500 for t in self._tables.values())

    def __iter__(self) -> Iterator[dict]:
        rows = [self._tables[k].iter_rows(k) for k in KINDS]
        return map(next, map(rows.__getitem__, self._order))

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(self)[index]
        n = len(self._order)
        if not -n <= index < n:
            raise IndexError("history index out of range")
        index %= n
        code = self._order[index]
        i = self._order[:index].count(code)
        return {"kind": KINDS[code], **self._tables[KINDS[code]].row(i)}

    def __reversed__(self) -> Iterator[dict]:
        return reversed(list(self))

    def __eq__(self, other) -> bool:
        if isinstance(other, History | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None

    def __add__(self, other) -> list[dict]:
        return [*self, *other]

    def __radd__(self, other) -> list[dict]:
        return [*other, *self]

    def __bool__(self) -> bool:
        return bool(self._order)

    def __repr__(self) -> str:
        return f"History({len(self)} events, about {self.nbytes() // 1024} KB)"
