"""Read queries compiled to SQL once per process, then run with each request's values.

Turning a queryset into SQL costs Django's ORM 0.5 to 2.5 ms of CPU (more with aggregates,
unions and window functions), five to ten times what PostgreSQL takes to run a key page's
indexed query. The key pages run the same few queries with different ids and times on every
request, so `prepared` compiles each once and keeps the SQL:

    @prepared
    def upcoming_sessions(*, client_id, now):
        return Session.objects.filter(client_id=client_id, starts_at__gte=now).values_list(
            "id", "starts_at"
        )

    rows = upcoming_sessions(client_id=client.pk, now=timezone.now())  # a list of tuples

The function is called once, with stand-in values of the right types; the stand-ins are then
found among the compiled query's parameters, and each later call runs the same SQL with its
own values in their places, through Django's cursor (so every query is still counted and
wrapped) and Django's converters for the selected columns (so each value comes back as the
ORM would give it). The result is the list the queryset would give: tuples for
`values_list()`, dicts for `values()`, plain values for `values_list(flat=True)`.

What decides the SQL's shape rather than a value is part of the cache key: `True`, `False`
and `None` (a `None` becomes `IS NULL`), and the length of a tuple (`__in` takes one parameter
an element). Integers, strings, dates and datetimes are parameters. A string reaching the SQL
inside a LIKE pattern (`__contains`, `__icontains`, `__startswith`…) is put back escaped as the
ORM would. An integer out of its column's range is left to the ORM, call by call (what it
makes of one depends on the lookup). Integer arguments compared with small-integer columns are
not supported (their stand-ins do not fit). A value the ORM turns into something else (a date
compared with a datetime column, a number used as a slice) cannot be found, and the first call
says so instead of running wrong SQL.
"""

from __future__ import annotations

import datetime
import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections
from django.db.backends.postgresql.base import CursorDebugWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet
from django.db.models.query import FlatValuesListIterable, ValuesIterable, ValuesListIterable
from psycopg.types.numeric import Int2, Int4, Int8

_STRING_MARK = "\ue000{}\ue001"
_BIGINT = range(-(2**63), 2**63)
# The integer types the ORM wraps an integer column's values in, and their ranges.
_INTEGER_RANGES = {
    Int2: range(-(2**15), 2**15),
    Int4: range(-(2**31), 2**31),
    Int8: _BIGINT,
}
MAX_SHAPES = 64
_STEP = 10_000
_DAY_ONE = datetime.date(1, 1, 1)


def _shape(value) -> object:
    """The part of a value that changes the SQL (its type, or the value itself)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, tuple):
        return ("tuple", tuple(_shape(item) for item in value))
    if isinstance(value, datetime.datetime):
        return (datetime.datetime, value.tzinfo is not None)
    if isinstance(value, int | str | datetime.date):
        return type(value)
    raise TypeError(f"prepared queries take int, str, date, datetime, bool, None: {value!r}")


def _stand_in(value, number: int):
    """A value of the same type no real query would hold, unique to `number`."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, tuple):
        return tuple(_stand_in(item, number + 1 + index) for index, item in enumerate(value))
    if isinstance(value, datetime.datetime):
        tz = datetime.UTC if value.tzinfo is not None else None
        return datetime.datetime(1, 1, 2, tzinfo=tz) + datetime.timedelta(microseconds=number)
    if isinstance(value, datetime.date):
        return _DAY_ONE + datetime.timedelta(days=number)
    if isinstance(value, int):
        # Positive and inside a 32-bit integer, so no integer field's range check drops it.
        return 2_000_000_000 + number
    return _STRING_MARK.format(number)


def _flatten(name: str, value, stand_in) -> list[tuple[tuple, object]]:
    """(path to the value in the call's arguments, stand-in) for every parameter value."""
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, tuple):
        return [
            pair
            for index, (item, item_stand_in) in enumerate(zip(value, stand_in, strict=True))
            for pair in _flatten(f"{name}[{index}]", item, item_stand_in)
        ]
    return [((name,), stand_in)]


@dataclass(frozen=True)
class _Slot:
    """Where a compiled parameter comes from: a constant, a value of the call, or a LIKE pattern."""

    constant: object = None
    argument: str | None = None
    pattern: str | None = None  # the compiled pattern, with the stand-in in it
    integer: type | None = None  # the ORM's typed integer (psycopg's Int4…) for the column


def _argument(kwargs: dict, path: str):
    name, _, rest = path.partition("[")
    value = kwargs[name]
    while rest:
        index, _, rest = rest.partition("]")
        value = value[int(index)]
        rest = rest.removeprefix("[")
    return value


class _Compiled:
    def __init__(self, queryset: QuerySet, stand_ins: dict[tuple, object]):
        if queryset._iterable_class not in (
            ValuesListIterable,
            ValuesIterable,
            FlatValuesListIterable,
        ):
            raise ImproperlyConfigured(
                "prepared queries return rows, not model instances: end the queryset with "
                ".values() or .values_list()."
            )
        if queryset._prefetch_related_lookups:
            raise ImproperlyConfigured("prepared queries cannot prefetch related rows.")
        self.alias = queryset.db
        query = queryset.query
        compiler = query.get_compiler(self.alias)
        try:
            self.sql, params = compiler.as_sql()
        except EmptyResultSet:  # e.g. `__in` an empty tuple: no SQL to run, no rows
            self.sql = None
            return
        self.slots = tuple(self._slot(param, stand_ins) for param in params)
        found = {slot.argument for slot in self.slots}
        missing = [path[0] for path in stand_ins if path[0] not in found]
        if missing:
            raise ImproperlyConfigured(
                f"prepared query: {', '.join(missing)} did not reach the SQL as a parameter "
                "(the ORM changed it, or used it in the SQL's text); pass what the column holds."
            )
        self.col_count = compiler.col_count
        self.trim = compiler.has_extra_select
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        self.converters = tuple(compiler.get_converters(fields).items())
        if queryset._iterable_class is ValuesIterable:
            self.names = (
                list(query.selected)
                if query.selected
                else [
                    *query.extra_select,
                    *query.values_select,
                    *query.annotation_select,
                ]
            )
        else:
            self.names = None
        self.flat = queryset._iterable_class is FlatValuesListIterable

    @staticmethod
    def _slot(param, stand_ins: dict[tuple, object]) -> _Slot:
        for (path,), stand_in in stand_ins.items():
            if type(param) is type(stand_in) and param == stand_in:
                return _Slot(argument=path)
            if type(param) in _INTEGER_RANGES and type(stand_in) is int and param == stand_in:
                return _Slot(argument=path, integer=type(param))
        if isinstance(param, str):
            for (path,), stand_in in stand_ins.items():
                if isinstance(stand_in, str) and stand_in in param:
                    return _Slot(argument=path, pattern=param.replace(stand_in, "{}", 1))
        return _Slot(constant=param)

    def _convert(self, row, connection) -> list:
        """What SQLCompiler.apply_converters does, with this thread's connection."""
        row = list(row)
        for position, (converters, expression) in self.converters:
            value = row[position]
            for converter in converters:
                value = converter(value, expression, connection)
            row[position] = value
        return row

    def run(self, kwargs: dict, *, prepare: bool = True) -> list | None:
        """The rows, or None when a value is out of its column's range: the ORM must answer."""
        if self.sql is None:
            return []
        connection = connections[self.alias]
        params = []
        for slot in self.slots:
            if slot.argument is None:
                params.append(slot.constant)
            elif slot.pattern is None:
                value = _argument(kwargs, slot.argument)
                if isinstance(value, int):
                    if value not in _INTEGER_RANGES.get(slot.integer, _BIGINT):
                        return None
                    if slot.integer is not None:
                        value = slot.integer(value)
                params.append(value)
            else:
                value = connection.ops.prep_for_like_query(_argument(kwargs, slot.argument))
                # str.format would read braces in the value: put it in by hand.
                before, _, after = slot.pattern.partition("{}")
                params.append(f"{before}{value}{after}")
        with _cursor(connection) if prepare else connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.trim:
            rows = [row[: self.col_count] for row in rows]
        if self.converters:
            rows = [self._convert(row, connection) for row in rows]
        if self.names is not None:
            return [dict(zip(self.names, row, strict=True)) for row in rows]
        if self.flat:
            return [row[0] for row in rows]
        return [tuple(row) for row in rows]


class _PreparingCursor(psycopg.Cursor):
    """A cursor binding its parameters on the server and preparing its statement there: the
    first run on a connection plans it, the next ones only bind and run it."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def _cursor(connection):
    """Django's cursor for this connection, prepared on the server when the settings allow
    (`SERVER_PREPARED_QUERIES`); wrapped as Django wraps its own, so the query is counted,
    logged in tests and passed through every execute wrapper."""
    if not getattr(settings, "SERVER_PREPARED_QUERIES", False) or connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = _PreparingCursor(connection.connection)
    if connection.queries_logged:
        return _PreparedDebugCursor(raw, connection)
    return connection.make_cursor(raw)


class _PreparedDebugCursor(CursorDebugWrapper):
    """Django's debug cursor (tests, DEBUG): logs the SQL with its values put in, as Django's
    own cursor does, where `last_executed_query` knows no text for a prepared statement."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return CursorWrapper.execute(self, sql, params)


def prepared(build: Callable[..., QuerySet] | None = None, *, shape: tuple[str, ...] = ()):
    """Compile `build`'s queryset once per shape of its keyword arguments; see the module.

    `@prepared(shape=("offset",))` names arguments whose values are part of the SQL's text
    (a slice's offset, say): each value is compiled once, like a shape. At most `MAX_SHAPES`
    shapes are kept a function; past that, a new shape is compiled for its call only.
    """
    if build is None:
        return functools.partial(prepared, shape=shape)
    compiled: dict[tuple, _Compiled] = {}

    @functools.wraps(build)
    def run(**kwargs) -> list:
        key = tuple(
            sorted(
                (name, ("value", value) if name in shape else _shape(value))
                for name, value in kwargs.items()
            )
        )
        entry = compiled.get(key)
        if entry is None:
            # Stand-ins numbered afresh for each compile, 10,000 apart an argument (a tuple's
            # elements take the numbers after its own), so a date stand-in stays in range.
            numbers = itertools.count(_STEP, _STEP)
            stand_in_kwargs = {
                name: value if name in shape else _stand_in(value, next(numbers))
                for name, value in kwargs.items()
            }
            stand_ins = {
                path: stand_in
                for name, value in kwargs.items()
                if name not in shape
                for path, stand_in in _flatten(name, value, stand_in_kwargs[name])
            }
            if len({(type(v), v) for v in stand_ins.values()}) != len(stand_ins):
                raise TypeError(f"prepared queries take tuples of fewer than {_STEP - 1} values")
            entry = _Compiled(build(**stand_in_kwargs), stand_ins)
            if entry.sql is None:
                # The ORM found no SQL to run (`__in` an empty tuple, a number out of a
                # column's range): whether that holds depends on the values, so ask it each time.
                return list(build(**kwargs))
            if len(compiled) < MAX_SHAPES:
                compiled[key] = entry
        # A shape compiled for this call only is not prepared on the server either: it would
        # take a place among the connection's prepared statements for nothing.
        rows = entry.run(kwargs, prepare=compiled.get(key) is entry)
        return list(build(**kwargs)) if rows is None else rows

    run.compiled = compiled  # for tests
    return run
