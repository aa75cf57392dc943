"""The client page's card of documents: printable records, referral letters, the access request."""

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clinic.client_page import client_page_rows, permission_checker
from clinic.markup import csrf_input, date_formatter, url_for, url_maker
from treatments.models import RecipientKind

register = template.Library()


@register.simple_tag(takes_context=True)
def client_documents(context, client) -> SafeString:
    """The client page's documents card, for those who read clinical records (letters, reports)
    or give a client their record (clinic admins); nothing, and no query, for the front desk.

    Written here rather than by a template; `tests/clinic/test_client_page.py` holds the
    template it replaces and checks the two agree.
    """
    request = context["request"]
    can = permission_checker(request)
    clinical = can("treatments.view_referralletter") and can("treatments.view_clinical_notes")
    can_give_record = can("clinic.give_client_record")
    if not (clinical or can_give_record):
        return ""
    actions = letters = give = ""
    if clinical:
        write = ""
        if not client.is_archived and can("treatments.add_referralletter"):
            write = (
                '<a class="btn btn-sm btn-knot" '
                f'href="{url_for("treatments:letter_create", client.pk)}">Write a letter</a>'
            )
        actions = (
            '\n      <div class="d-flex flex-wrap gap-2 no-print">\n'
            '        <a class="btn btn-sm btn-outline-primary" '
            f'href="{url_for("treatments:progress_report", client.pk)}">Print progress report</a>\n'
            f"        {write}\n"
            "      </div>"
        )
        letters = (
            '\n    <h3 class="h6 mt-3">Letters sent</h3>\n'
            '    <ul class="list-unstyled mb-2" id="client-letters">\n'
            f"      {letter_items(client.pk, client_page_rows(request, client).letters)}\n"
            "    </ul>\n"
            '    <p class="small text-secondary mb-0">'
            "Intake summaries and session notes print from their own pages.</p>"
        )
    if can_give_record:
        give = (
            f'\n    <form method="post" action="{url_for("client_access_request", client.pk)}"'
            ' class="border-top pt-3 mt-3 no-print">\n'
            f"      {csrf_input(context.get('csrf_token'))}\n"
            '      <p class="small mb-2">When the client asks for their records: one ZIP file with'
            " everything the clinic holds about them (documents to open in a browser, and the"
            " record in FHIR format). The download is recorded in the audit log.</p>\n"
            '      <button class="btn btn-sm btn-outline-secondary" type="submit">'
            "Download the client's whole record</button>\n"
            "    </form>"
        )
    return mark_safe(  # noqa: S308 (every value is escaped where it is written)
        '<section class="card mt-4" aria-labelledby="documents-heading">\n'
        '  <div class="card-body">\n'
        '    <div class="d-flex flex-wrap justify-content-between align-items-center gap-2 mb-2">\n'
        '      <h2 class="h5 mb-0" id="documents-heading">Letters and documents</h2>'
        f"{actions}\n"
        f"    </div>{letters}{give}\n"
        "  </div>\n"
        "</section>\n"
    )


_KINDS = dict(RecipientKind.choices)


def letter_items(client_pk: int, rows) -> SafeString:
    """The `<li>`s of the client page's letters (`documents/_client_documents.html` wrote them
    per letter), from `ClientPageRows.letters` (clinic/client_page.py)."""
    if not rows:
        return mark_safe('<li class="text-secondary">No letters yet.</li>')
    url = url_maker("treatments:letter_detail", client_pk)
    day = date_formatter("j M Y")
    items = []
    for pk, created_at, recipient, kind, username, first, last in rows:
        # `author.get_full_name|default:author.username`
        author = f"{first} {last}".strip() or username
        items.append(
            f'<li class="mb-1"><a href="{url(pk)}">{day(timezone.localtime(created_at))}: '
            f"to {escape(recipient)}</a> "
            f'<span class="small text-secondary">{escape(_KINDS.get(kind, kind))} · '
            f"{escape(author)}</span></li>"
        )
    return mark_safe("".join(items))  # noqa: S308 (every value is escaped above)
