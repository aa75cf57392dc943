"""Measurement hooks for `make bench`, switched on by KNOTWORK_BENCH=1 and absent otherwise.

`BenchTimingMiddleware` (first in the stack, so it sees the session, user and permission
queries too) adds two response headers: `Server-Timing: app;dur=<ms>` and `X-Queries: <n>`.
`bare` is the smallest Django view, the yardstick the page throughputs are compared with: it
goes through the same middleware (the session and user are loaded for a logged-in request).
"""

import time

from django.db import connections
from django.http import HttpResponse
from django.views.decorators.cache import never_cache


class BenchTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connections["default"].execute_wrapper(counter):
            response = self.get_response(request)
        elapsed = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = f"app;dur={elapsed:.2f}"
        response["X-Queries"] = str(count)
        return response


@never_cache
def bare(request):
    return HttpResponse("ok", content_type="text/plain")
