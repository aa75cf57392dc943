"""Intake screens: thin views over intake.forms, intake.services and intake.access."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.access import get_client_for_user
from clinic.audit import audit_record
from clinic.markup import render_with_parts
from clinic.models import AuditEvent
from intake import json_io, review_html
from intake.access import LinkRefusedError, get_intake_for_user, get_link_for_token
from intake.forms import (
    AmendmentForm,
    IntakeForm,
    IntakeImportForm,
    OnlineLinkForm,
    Vocabulary,
    sanitise_state,
    state_to_data,
)
from intake.models import Intake, IntakeStatus
from intake.review import Review, ReviewLoader, load_review
from intake.services import (
    IntakeConflictError,
    IntakeNotDraftError,
    amendment_add,
    email_is_configured,
    intake_create,
    intake_mark_reviewed,
    intake_save_draft,
    intake_submit,
    online_intake_start,
    online_link_create,
)
from intake.suggestions import intake_suggestions_store, referral_marks, suggestion_map_context
from knowledge.body_map_html import render_display
from knowledge.intake_json import IntakeJSONError

TO_REVIEW_PER_PAGE = 50


def _posted_version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except (TypeError, ValueError):
        return None


def _opened_form_data(intake: Intake):
    """The saved draft, as the data of a form just opened: its version and a new editor id."""
    data = state_to_data(intake.draft)
    data["version"] = str(intake.version)
    data["editor"] = secrets.token_urlsafe(12)
    data.setdefault("surgery", "none")
    return data


def _conflict_context(form: IntakeForm, intake: Intake, posted_state: dict) -> dict:
    """What differs between what this person typed and the draft saved meanwhile."""
    saved = intake.draft or {}
    changed = []
    for name in sorted(set(saved) | set(posted_state)):
        if saved.get(name, []) != posted_state.get(name, []) and name in form.fields:
            changed.append(form.fields[name].label or name)
    # Saving again from this form keeps what was typed, knowingly: it now names the new version.
    form.data = form.data.copy()
    form.data["version"] = str(intake.version)
    return {
        "conflict": True,
        "conflict_fields": list(dict.fromkeys(changed))[:12],
        "conflict_at": intake.updated_at,
    }


def _edit_response(
    request,
    *,
    intake: Intake,
    template: str,
    extra: dict,
    link=None,
    done_url,
):
    """The shared POST handling of the staff and online forms: save, then maybe submit.

    Whatever happens, what was typed is kept: it is saved as the draft first, and every error
    re-renders the form with the posted values.
    """
    vocabulary = Vocabulary.load()
    action = request.POST.get("action", "save")
    submitting = action == "submit"
    form = IntakeForm(
        request.POST, vocabulary=vocabulary, submitting=submitting, online=link is not None
    )
    actor = request.user if request.user.is_authenticated else None
    context = {"intake": intake, "form": form, **extra}
    try:
        saved = intake_save_draft(
            request=request,
            actor=actor,
            intake=intake,
            data=request.POST,
            version=_posted_version(request),
            editor=request.POST.get("editor", ""),
        )
    except IntakeConflictError as conflict:
        form.is_valid()
        context.update(_conflict_context(form, conflict.intake, sanitise_state(request.POST)))
        return render(request, template, context, status=409)
    except IntakeNotDraftError:
        messages.info(request, "This intake was already submitted; it can no longer be edited.")
        return redirect(done_url)
    # The form now answers for the saved version.
    form.data = form.data.copy()
    form.data["version"] = str(saved.version)
    context["intake"] = saved
    if not form.is_valid():
        context["saved_at"] = saved.updated_at
        return render(request, template, context, status=400 if submitting else 200)
    if not submitting:
        messages.success(request, f"Draft saved at {timezone.localtime(saved.updated_at):%H:%M}.")
        return None
    try:
        submitted = intake_submit(
            request=request,
            actor=actor,
            intake=saved,
            data=form.to_data(),
            version=saved.version,
            editor=saved.draft_editor,
            vocabulary=vocabulary,
            link=link,
        )
    except IntakeConflictError as conflict:
        context.update(_conflict_context(form, conflict.intake, sanitise_state(request.POST)))
        return render(request, template, context, status=409)
    except ValidationError as error:
        form.add_error(None, error)
        return render(request, template, context, status=400)
    context["intake"] = submitted
    return submitted


# Staff: starting, editing and submitting


@require_POST
@login_required
@permission_required("intake.add_intake", raise_exception=True)
def intake_start(request, client_pk):
    client = get_client_for_user(request.user, client_pk, for_change=True)
    intake = intake_create(request=request, actor=request.user, client=client)
    return redirect("intake:edit", intake.pk)


@never_cache
@login_required
@permission_required("intake.change_intake", raise_exception=True)
@require_http_methods(["GET", "POST"])
def intake_edit(request, pk):
    intake = get_intake_for_user(request.user, pk, for_change=True)
    if not intake.is_draft:
        messages.info(request, "This intake is submitted. Add an amendment, or start a new one.")
        return redirect(intake)
    extra = {"client": intake.client, "autosave_url": reverse("intake:autosave", args=[pk])}
    if request.method == "GET":
        form = IntakeForm(_opened_form_data(intake), vocabulary=Vocabulary.load())
        audit_record(
            request=request, action=AuditEvent.Action.VIEW, client=intake.client, obj=intake
        )
        return render(request, "intake/intake_form.html", {"intake": intake, "form": form, **extra})
    result = _edit_response(
        request,
        intake=intake,
        template="intake/intake_form.html",
        extra=extra,
        done_url=intake.get_absolute_url(),
    )
    if result is None:
        return redirect("intake:edit", pk)
    if isinstance(result, Intake):
        alerts = result.alerts.count()
        text = "Intake submitted."
        if alerts:
            text += f" {alerts} red-flag alert{'s' if alerts != 1 else ''}: read before treating."
        messages.success(request, text)
        return redirect(result)
    return result


def _autosave(request, intake: Intake, *, actor, online: bool):
    """Save the posted form as the draft; answer the status line (and refreshed parts)."""
    context = {"intake": intake, "online": online}
    before = set((intake.draft or {}).get("pain_zones", []))
    try:
        saved = intake_save_draft(
            request=request,
            actor=actor,
            intake=intake,
            data=request.POST,
            version=_posted_version(request),
            editor=request.POST.get("editor", ""),
            autosave=True,
        )
    except IntakeConflictError:
        context["conflict"] = True
        return render(request, "intake/_autosave_status.html", context)
    except IntakeNotDraftError:
        context["submitted"] = True
        return render(request, "intake/_autosave_status.html", context)
    context.update({"intake": saved, "saved_at": saved.updated_at, "version": saved.version})
    if set(request.POST.getlist("pain_zones")) != before:
        data = request.POST.copy()
        data["version"] = str(saved.version)
        context["form"] = IntakeForm(data, vocabulary=Vocabulary.load(), online=online)
        context["refresh_pain"] = True
    return render(request, "intake/_autosave_status.html", context)


@require_POST
@login_required
@permission_required("intake.change_intake", raise_exception=True)
def intake_autosave(request, pk):
    intake = get_intake_for_user(request.user, pk, for_change=True)
    return _autosave(request, intake, actor=request.user, online=False)


# Reading, reviewing, amending


def _detail_context(request, intake: Intake) -> dict:
    full = Intake.objects.with_details().get(pk=intake.pk)
    return {
        "intake": full,
        "client": full.client,
        "pain_marks": [
            {"zone": p.zone.slug, "side": p.side, "level": "pain", "intensity": p.intensity}
            for p in full.pain_reports.all()
        ],
        "zone_names": {p.zone.slug: p.zone.name for p in full.pain_reports.all()},
        "factor_groups": _factor_groups(full),
        "can_review": request.user.has_perm("intake.review_intake"),
        "can_amend": request.user.has_perm("intake.add_amendment"),
    }


def _factor_groups(intake: Intake) -> list[dict]:
    return review_html.factor_groups(
        ((f.factor.kind, f) for f in intake.factors.all()), intake.other_factors
    )


@login_required
@permission_required("intake.view_intake", raise_exception=True)
@require_GET
def intake_detail(request, pk):
    intake = get_intake_for_user(request.user, pk)
    may_edit = request.user.has_perm("intake.change_intake") and not intake.client.is_archived
    if intake.is_draft and may_edit:
        return redirect("intake:edit", pk)
    audit_record(request=request, action=AuditEvent.Action.VIEW, client=intake.client, obj=intake)
    context = _detail_context(request, intake)
    context["amendment_form"] = AmendmentForm()
    return render(request, "intake/intake_detail.html", context)


@login_required
@permission_required("intake.review_intake", raise_exception=True)
@require_GET
def intake_review(request, pk):
    # The intake and everything the review shows, in one query, through the access check.
    loader = ReviewLoader()
    intake = get_intake_for_user(request.user, pk, for_review=True, queryset=loader)
    if intake.is_draft:
        messages.info(request, "This intake is still a draft: it can be reviewed once submitted.")
        return redirect(intake)
    audit_record(
        request=request,
        action=AuditEvent.Action.VIEW,
        client=intake.client,
        obj=intake,
        detail={"review": True},
    )
    review = loader.review
    if intake.suggested_at is None:
        intake_suggestions_store(request=request, actor=request.user, intake=intake)
        review = load_review(intake.pk)  # with the ranking as stored, and when
    context, parts = _review_context(request, review)
    return render_with_parts(request, "intake/intake_review.html", context, parts)


def _review_context(request, review: Review) -> tuple[dict, dict]:
    """The review page's context, and its parts written in Python (intake.review_html)."""
    intake, client, user = review.intake, review.client, request.user
    links = review_html.Links()
    # One token for base.html's and for the forms written here, as {% csrf_token %} gives.
    csrf_token = get_token(request)
    ranked = intake.suggestions or []
    referral_map = ""
    if ranked:
        referral_map = review_html.referral_map(
            ranked[0],
            links=links,
            marks=referral_marks(ranked[0]),
            outlined=[f"{pain.zone}:{pain.side}" for pain in review.pains],
            zone_names=review.zone_names,
        )
    parts = {
        "header": review_html.header(review, links=links, csrf_token=csrf_token),
        "alerts": review_html.alerts(review.alerts),
        "suggestions": review_html.suggestions(
            intake,
            links=links,
            can_plan=user.has_perm("treatments.add_treatmentplan"),
            csrf_token=csrf_token,
        ),
        "referral_map": referral_map,
        "pain_map": render_display(
            [
                {"zone": pain.zone, "side": pain.side, "level": "pain", "intensity": pain.intensity}
                for pain in review.pains
            ],
            zone_names={pain.zone: pain.name for pain in review.pains},
            id_prefix="review-bm",
        ),
        "summary": review_html.summary(review),
        "amendments": review_html.amendments(
            review,
            links=links,
            can_amend=user.has_perm("intake.add_amendment"),
            csrf_token=csrf_token,
        ),
    }
    return {"client_name": client.full_name, "csrf_token": csrf_token}, parts


@login_required
@permission_required("intake.review_intake", raise_exception=True)
@require_GET
def suggestion_map(request, pk, index):
    """One suggestion's referral pattern over the client's pain (an htmx fragment)."""
    full = get_intake_for_user(
        request.user, pk, for_review=True, queryset=Intake.objects.with_details()
    )
    context = suggestion_map_context(full, index)
    if context is None:
        raise Http404("No such suggestion")
    audit_record(
        request=request,
        action=AuditEvent.Action.VIEW,
        client=full.client,
        obj=full,
        detail={"suggestion_map": index},
    )
    context["intake"] = full
    context["zone_names"] = _all_zone_names()
    return render(request, "intake/_suggestion_map.html", context)


@require_POST
@login_required
@permission_required("intake.review_intake", raise_exception=True)
def suggestions_refresh(request, pk):
    """Rank again with the knowledge base as it is now (until the intake is marked reviewed)."""
    intake = get_intake_for_user(request.user, pk, for_review=True)
    if intake.status != IntakeStatus.SUBMITTED:
        messages.info(request, "A reviewed intake keeps the suggestions its reviewer saw.")
    else:
        intake_suggestions_store(request=request, actor=request.user, intake=intake)
        messages.success(request, "Suggestions ranked again with the current knowledge base.")
    return redirect("intake:review", intake.pk)


def _all_zone_names() -> dict[str, str]:
    from knowledge.models import Zone

    return dict(Zone.objects.values_list("slug", "name"))


@require_POST
@login_required
@permission_required("intake.review_intake", raise_exception=True)
def intake_mark_reviewed_view(request, pk):
    intake = get_intake_for_user(request.user, pk, for_review=True)
    if intake.is_draft:
        messages.error(request, "A draft cannot be marked reviewed; it must be submitted first.")
        return redirect(intake)
    intake = intake_mark_reviewed(request=request, actor=request.user, intake=intake)
    messages.success(request, "Intake marked reviewed.")
    return redirect("intake:review", intake.pk)


@require_POST
@login_required
@permission_required("intake.add_amendment", raise_exception=True)
def amendment_add_view(request, pk):
    intake = get_intake_for_user(request.user, pk)
    if intake.is_draft:
        messages.info(request, "A draft is edited directly; amendments are for submitted intakes.")
        return redirect(intake)
    form = AmendmentForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, intake)
        context["amendment_form"] = form
        return render(request, "intake/intake_detail.html", context, status=400)
    amendment_add(
        request=request, actor=request.user, intake=intake, text=form.cleaned_data["text"]
    )
    messages.success(request, "Amendment added.")
    return redirect(intake)


@login_required
@permission_required("intake.review_intake", raise_exception=True)
@require_GET
def to_review(request):
    intakes = Intake.objects.to_review().prefetch_related("alerts")
    page = Paginator(intakes, TO_REVIEW_PER_PAGE).get_page(request.GET.get("page"))
    audit_record(
        request=request,
        action=AuditEvent.Action.VIEW,
        detail={"list": "intakes_to_review", "page": page.number, "rows": len(page.object_list)},
    )
    return render(request, "intake/to_review.html", {"page": page})


# Online links


@never_cache
@login_required
@permission_required("intake.add_onlineintakelink", raise_exception=True)
@require_http_methods(["GET", "POST"])
def online_link_create_view(request, client_pk):
    client = get_client_for_user(request.user, client_pk, for_change=True)
    can_email = email_is_configured() and bool(client.email)
    context = {"client": client, "can_email": can_email}
    if request.method == "GET":
        context["form"] = OnlineLinkForm()
        return render(request, "intake/link_form.html", context)
    form = OnlineLinkForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "intake/link_form.html", context, status=400)
    new = online_link_create(
        request=request,
        actor=request.user,
        client=client,
        days=form.cleaned_data["days"],
        send_email=can_email and form.cleaned_data["send_email"],
        build_url=lambda token: request.build_absolute_uri(reverse("intake:online", args=[token])),
    )
    # The token exists only in this response: it is never stored or logged.
    context.update(
        {
            "link": new.link,
            "url": request.build_absolute_uri(reverse("intake:online", args=[new.token])),
            "emailed": new.emailed,
        }
    )
    return render(request, "intake/link_created.html", context)


def _refused(request, reason: str):
    status = 404 if reason == "invalid" else 410
    return render(request, "intake/online_refused.html", {"reason": reason}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def online_intake(request, token):
    try:
        link = get_link_for_token(token)
    except LinkRefusedError as refused:
        return _refused(request, refused.reason)
    intake = link.intake or online_intake_start(request=request, link=link)
    extra = {
        "first_name": link.client.preferred_name or link.client.first_name,
        "expires_at": link.expires_at,
        "autosave_url": reverse("intake:online_autosave", args=[token]),
        "online": True,
    }
    if request.method == "GET":
        form = IntakeForm(_opened_form_data(intake), vocabulary=Vocabulary.load(), online=True)
        audit_record(
            request=request,
            action=AuditEvent.Action.VIEW,
            client=intake.client,
            obj=intake,
            detail={"online": True},
        )
        return render(request, "intake/online_form.html", {"intake": intake, "form": form, **extra})
    result = _edit_response(
        request,
        intake=intake,
        template="intake/online_form.html",
        extra=extra,
        link=link,
        done_url=reverse("intake:online_done"),
    )
    if result is None:
        return redirect("intake:online", token)
    if isinstance(result, Intake):
        return redirect("intake:online_done")
    return result


@require_POST
def online_autosave(request, token):
    try:
        link = get_link_for_token(token)
    except LinkRefusedError as refused:
        return render(
            request, "intake/_autosave_status.html", {"refused": refused.reason, "online": True}
        )
    intake = link.intake or online_intake_start(request=request, link=link)
    return _autosave(request, intake, actor=None, online=True)


@never_cache
@require_GET
def online_done(request):
    return render(request, "intake/online_done.html")


# Intake JSON


@login_required
@permission_required("intake.view_intake", raise_exception=True)
@require_GET
def intake_export(request, pk):
    intake = get_intake_for_user(request.user, pk)
    if intake.is_draft:
        messages.info(request, "Submit the intake before exporting it.")
        return redirect(intake)
    full = Intake.objects.with_details().get(pk=intake.pk)
    payload = json_io.export_intake(full)
    audit_record(
        request=request,
        action=AuditEvent.Action.EXPORT,
        client=intake.client,
        obj=intake,
        detail={"format": "json"},
    )
    response = JsonResponse(payload, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="intake-{intake.pk}.json"'
    return response


@never_cache
@login_required
@permission_required("intake.add_intake", raise_exception=True)
@require_http_methods(["GET", "POST"])
def intake_import(request, client_pk):
    client = get_client_for_user(request.user, client_pk, for_change=True)
    if request.method == "GET":
        return render(request, "intake/import.html", {"client": client, "form": IntakeImportForm()})
    form = IntakeImportForm(request.POST, request.FILES)
    context = {"client": client, "form": form}
    if not form.is_valid():
        return render(request, "intake/import.html", context, status=400)
    try:
        state = json_io.import_state(form.cleaned_data["text"])
    except IntakeJSONError as error:
        context["json_errors"] = error.errors
        return render(request, "intake/import.html", context, status=400)
    intake = intake_create(request=request, actor=request.user, client=client, state=state)
    messages.success(
        request,
        "Imported as a new draft. Add what the JSON does not hold (complaint, red-flag answers, "
        "consent) and submit.",
    )
    return redirect("intake:edit", intake.pk)
