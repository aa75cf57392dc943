"""`manage.py suggest [FILE] [--limit N]`: rank trigger points for an intake given as JSON.

Reads the intake JSON of shared/domain.md from FILE (or standard input when FILE is absent or
`-`) and prints `{"suggestions": [...], "alerts": [...]}`. Bad input exits with status 2 and the
error on standard error, printing nothing on standard output.
"""

import argparse
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from knowledge.alerts import alerts_for
from knowledge.intake_json import IntakeJSONError, parse_intake
from knowledge.suggest import DEFAULT_LIMIT, suggest

BAD_INPUT = 2


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be 1 or more")
    return number


class Command(BaseCommand):
    help = (
        "Rank the trigger points most likely behind an intake's pain and list its red-flag "
        "alerts. Reads the intake JSON (shared/domain.md) from FILE or standard input."
    )
    # Tests pass `stdin=` to call_command instead of replacing sys.stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", default="-", metavar="FILE", help="intake JSON; - or none: stdin"
        )
        parser.add_argument(
            "--limit",
            type=positive_int,
            default=DEFAULT_LIMIT,
            metavar="N",
            help=f"at most N suggestions (default {DEFAULT_LIMIT})",
        )

    def handle(self, *args, file: str, limit: int, **options):
        text = self._read(file, options.get("stdin") or sys.stdin)
        try:
            intake = parse_intake(text)
        except IntakeJSONError as error:
            raise CommandError(f"invalid intake: {error}", returncode=BAD_INPUT) from None
        result = {
            "suggestions": [item.as_dict() for item in suggest(intake, limit=limit)],
            "alerts": [alert.as_dict() for alert in alerts_for(intake.red_flags)],
        }
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))

    def _read(self, file: str, stdin) -> str | bytes:
        if file == "-":
            return stdin.read()
        try:
            with open(file, "rb") as handle:
                return handle.read()
        except OSError as error:
            reason = error.strerror or str(error)
            raise CommandError(f"cannot read {file!r}: {reason}", returncode=BAD_INPUT) from None
