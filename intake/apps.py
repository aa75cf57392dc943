import logging
import re

from django.apps import AppConfig

# The online form's address carries its token: /i/<token>/. Log lines must never hold it.
_TOKEN_IN_PATH = re.compile(r"/i/[A-Za-z0-9_-]{8,}")


def _redact(value):
    return _TOKEN_IN_PATH.sub("/i/[token]", value) if isinstance(value, str) else value


class RedactIntakeTokens(logging.Filter):
    """Replace online-intake tokens in log messages (request paths, server lines) by a marker."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact(arg) for key, arg in record.args.items()}
        request = getattr(record, "request", None)
        if request is not None and _TOKEN_IN_PATH.search(getattr(request, "path", "") or ""):
            # Handlers that format the request (admin emails) would print its path.
            record.request = None
        return True


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Intake"

    def ready(self):
        token_filter = RedactIntakeTokens()
        for name in ("django.request", "django.server", "django.security.csrf", "django.security"):
            logger = logging.getLogger(name)
            if not any(isinstance(f, RedactIntakeTokens) for f in logger.filters):
                logger.addFilter(token_filter)
