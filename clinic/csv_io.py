"""CSV for clinic admins: streamed exports of clients and sessions, and the client import.

Exports neutralise formula cells (a spreadsheet would run `=HYPERLINK(...)` typed into a
name); the import reads its rows with the registration form, so the rules are the same as on
the registration screen, and reports every problem before anything is written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from clinic.models import Client
from clinic.services import CLIENT_FIELDS

# A cell a spreadsheet could read as a formula starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"

IMPORT_MAX_BYTES = 2 * 1024 * 1024
# One report page lists every row's problems: a few thousand rows at a time.
IMPORT_MAX_ROWS = 2000
IMPORT_REQUIRED = ("first_name", "last_name", "date_of_birth")
IMPORT_COLUMNS = CLIENT_FIELDS


def neutralise(value) -> str | int:
    """A cell as written to a CSV file: text that could start a formula gets a leading `'`.

    Numbers stay numbers; None is an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def restore(text: str) -> str:
    """Undo `neutralise` on a cell read back from one of our exports."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The CSV text line by line (a BOM first, for spreadsheets), every cell neutralised."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(list(header))
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


# Exports


CLIENT_HEADER = ("id", *CLIENT_FIELDS, "registered_on", "archived_on")
SESSION_HEADER = (
    "date",
    "start",
    "end",
    "client_id",
    "client",
    "therapist",
    "status",
    "pain_before",
    "pain_after",
    "signed",
    "signed_on",
)
# Rows fetched from the database at a time: memory stays flat for 100,000 clients.
CHUNK = 2000


def _day(moment) -> str:
    return timezone.localdate(moment).isoformat() if moment else ""


def client_rows(clients) -> Iterator[list]:
    for client in clients.order_by("id").iterator(chunk_size=CHUNK):
        yield [
            client.pk,
            *(
                value.isoformat() if isinstance(value, date) else value
                for value in (getattr(client, name) for name in CLIENT_FIELDS)
            ),
            _day(client.created_at),
            _day(client.archived_at),
        ]


def session_rows(sessions) -> Iterator[list]:
    sessions = sessions.select_related("client", "therapist").order_by("starts_at", "id")
    for session in sessions.iterator(chunk_size=CHUNK):
        start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
        therapist = session.therapist
        yield [
            start.date().isoformat(),
            f"{start:%H:%M}",
            f"{end:%H:%M}",
            session.client_id,
            session.client.full_name,
            therapist.get_full_name() or therapist.get_username(),
            session.get_status_display(),
            session.pain_before,
            session.pain_after,
            session.is_signed,
            _day(session.signed_at),
        ]


# Import


class ImportFileError(ValueError):
    """The file cannot be read as a client list; the message says what to fix."""


@dataclass
class ImportRow:
    number: int  # the row's line in the file, the header being line 1
    values: dict[str, str]
    data: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(
            part for part in (self.values.get("first_name"), self.values.get("last_name")) if part
        )


@dataclass
class ImportReport:
    rows: list[ImportRow]

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def warned_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.warnings and not row.errors]

    @property
    def is_valid(self) -> bool:
        return bool(self.rows) and not self.bad_rows


def decode_upload(raw: bytes, *, size: int | None = None) -> str:
    """The uploaded bytes as text: UTF-8, with or without a byte-order mark. `size`, the
    file's whole size when only its start was read, goes into the message of a file too big."""
    if len(raw) > IMPORT_MAX_BYTES:
        size = max(size or 0, len(raw))
        raise ImportFileError(
            f"The file is {size / 1024 / 1024:.1f} MB; the limit is 2 MB. "
            "Split it into smaller files."
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is not UTF-8 text. In your spreadsheet, save it as "
            "'CSV UTF-8 (comma delimited)' and upload it again."
        ) from None
    if "\x00" in text:
        raise ImportFileError("The file is not a CSV text file. Save it as CSV and try again.")
    return text


def read_rows(text: str) -> list[ImportRow]:
    """Read the CSV text's header and rows; a wrong header is an ImportFileError."""
    text = text.removeprefix(BOM)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    except csv.Error:
        raise ImportFileError("The first line of the file is not CSV.") from None
    header = [name.strip().lower() for name in header]
    unknown = [name for name in header if name not in IMPORT_COLUMNS]
    missing = [name for name in IMPORT_REQUIRED if name not in header]
    repeated = sorted({name for name in header if header.count(name) > 1})
    problems = []
    if unknown:
        problems.append(f"unknown columns: {', '.join(unknown) or '(an empty name)'}")
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if repeated:
        problems.append(f"columns given twice: {', '.join(repeated)}")
    if problems:
        raise ImportFileError(
            "The first line must name the columns. Found "
            + "; ".join(problems)
            + ". Use: "
            + ", ".join(IMPORT_COLUMNS)
            + f" ({', '.join(IMPORT_REQUIRED)} are required)."
        )
    rows = []
    try:
        for cells in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            row = ImportRow(number=number, values={})
            if len(cells) != len(header):
                row.errors.append(
                    f"has {len(cells)} cells where the header has {len(header)}; "
                    "check for a missing or extra comma."
                )
            row.values = {
                name: restore(cell.strip()) for name, cell in zip(header, cells, strict=False)
            }
            rows.append(row)
    except csv.Error as error:
        raise ImportFileError(
            f"Line {reader.line_num} is not valid CSV ({error}); check its quotes."
        ) from None
    if not rows:
        raise ImportFileError("The file has a header but no clients.")
    if len(rows) > IMPORT_MAX_ROWS:
        raise ImportFileError(
            f"The file has {len(rows)} clients; import at most {IMPORT_MAX_ROWS} at a time. "
            "Split it into smaller files."
        )
    return rows


def validate_import(text: str) -> ImportReport:
    """Every row checked with the registration form; duplicates reported as warnings.

    Raises ImportFileError when the file itself cannot be read. Reads the database in a
    bounded number of queries, whatever the number of rows.
    """
    from clinic.forms import ClientForm

    rows = read_rows(text)
    for row in rows:
        if row.errors:
            continue
        form = ClientForm(
            data={name: row.values.get(name, "") for name in CLIENT_FIELDS}
            # Likely duplicates are looked up for all rows at once below, as warnings.
            | {"confirm_not_duplicate": "on"},
            instance=_unchecked_client(),
        )
        if form.is_valid():
            row.data = {name: form.cleaned_data[name] for name in CLIENT_FIELDS}
        else:
            for name, errors in form.errors.items():
                label = form.fields[name].label if name in form.fields else ""
                for error in errors:
                    row.errors.append(f"{label}: {error}" if label else str(error))
    _flag_duplicates([row for row in rows if row.data])
    return ImportReport(rows=rows)


def _unchecked_client() -> Client:
    """A new client whose table constraints are not checked here, a query each per row.

    The form's own rules cover them (names required, a plausible date of birth), and the
    database checks them again when the rows are written, all or none.
    """
    client = Client()
    client.validate_constraints = lambda exclude=None: None
    return client


def _person_key(data: dict) -> tuple[str, str, date]:
    return (data["first_name"].lower(), data["last_name"].lower(), data["date_of_birth"])


def _flag_duplicates(rows: list[ImportRow]) -> None:
    """Warn of the same person twice in the file, and of clients already registered.

    The rule of clinic.services.likely_duplicates (same first and last name, ignoring case, and
    the same date of birth), applied to every row in one query.
    """
    first_seen: dict[tuple, int] = {}
    for row in rows:
        key = _person_key(row.data)
        if key in first_seen:
            row.warnings.append(f"The same person as row {first_seen[key]}.")
        else:
            first_seen[key] = row.number
    if not first_seen:
        return
    births = {key[2] for key in first_seen}
    existing: dict[tuple, list[Client]] = {}
    for client in Client.objects.filter(date_of_birth__in=births).only(
        "id", "first_name", "last_name", "date_of_birth", "archived_at"
    ):
        key = (client.first_name.lower(), client.last_name.lower(), client.date_of_birth)
        if key in first_seen:
            existing.setdefault(key, []).append(client)
    for row in rows:
        for client in existing.get(_person_key(row.data), []):
            archived = " (archived)" if client.archived_at else ""
            row.warnings.append(
                f"Probably already registered: client {client.pk}{archived} has this name "
                "and date of birth."
            )
