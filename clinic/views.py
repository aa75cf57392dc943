import copy
from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.db import DatabaseError, connection
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from clinic.access import RoleRequiredMixin, get_client_for_user
from clinic.audit import audit_record
from clinic.forms import ClientForm, ClientSearchForm
from clinic.markup import client_rows
from clinic.models import AuditEvent, Client
from clinic.paging import counted_page
from clinic.roles import role_of
from clinic.search import client_search_page
from clinic.services import (
    CLIENT_FIELDS,
    EditConflict,
    client_archive,
    client_create,
    client_restore,
    client_update,
)

AUDIT_EVENTS_PER_PAGE = 50


@never_cache
def healthz(request):
    """For load balancers and monitoring: 200 when the app can reach its database, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


class DashboardView(TemplateView):
    template_name = "clinic/dashboard.html"

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={request.path}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["has_role"] = role_of(user) is not None
        if user.has_perm("clinic.view_client"):
            context["recent_clients"] = Client.objects.active().order_by("-created_at")[:8]
            context["client_counts"] = Client.objects.aggregate(
                total=Count("id"), archived=Count("id", filter=Q(archived_at__isnull=False))
            )
        context["search_form"] = ClientSearchForm()
        return context


@login_required
@permission_required("clinic.view_client", raise_exception=True)
def client_list(request):
    form = ClientSearchForm(request.GET or None)
    query = ""
    show_archived = False
    if form.is_valid():
        query = form.cleaned_data["q"]
        show_archived = form.cleaned_data["archived"] and request.user.has_perm(
            "clinic.archive_client"
        )
    page = client_search_page(query=query, archived=show_archived, number=request.GET.get("page"))
    context = {
        "form": form if form.is_bound else ClientSearchForm(),
        "page": page,
        "rows": client_rows(page.object_list),
        "query": query,
        "show_archived": show_archived,
    }
    template = "clients/_client_rows.html" if request.htmx else "clients/client_list.html"
    return render(request, template, context)


class ClientCreateView(RoleRequiredMixin, TemplateView):
    permission_required = "clinic.add_client"
    template_name = "clients/client_form.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response({"form": ClientForm(), "creating": True})

    def post(self, request, *args, **kwargs):
        form = ClientForm(request.POST)
        if not form.is_valid():
            return self.render_to_response({"form": form, "creating": True}, status=400)
        client = client_create(request=request, actor=request.user, data=form.cleaned_data)
        messages.success(request, f"{client.full_name} is registered.")
        return redirect(client)


class ClientUpdateView(RoleRequiredMixin, TemplateView):
    permission_required = "clinic.change_client"
    template_name = "clients/client_form.html"

    def get(self, request, pk):
        client = get_client_for_user(request.user, pk, for_change=True)
        audit_record(
            request=request,
            action=AuditEvent.Action.VIEW,
            client=client,
            obj=client,
            detail={"form": "edit"},
        )
        return self.render_to_response({"form": ClientForm(instance=client), "client": client})

    def post(self, request, pk):
        client = get_client_for_user(request.user, pk, for_change=True)
        form = ClientForm(request.POST, instance=Client.objects.get(pk=client.pk))
        if not form.is_valid():
            return self.render_to_response({"form": form, "client": client}, status=400)
        try:
            client = client_update(
                request=request,
                actor=request.user,
                client=client,
                version=form.cleaned_data["version"],
                data=form.cleaned_data,
            )
        except EditConflict as error:
            # Keep what this user typed, now based on the saved version: saving again,
            # having seen it, replaces it on purpose.
            saved = error.current
            data = request.POST.copy()
            data["version"] = saved.version
            # A copy: validating the form writes the posted values onto its instance.
            form = ClientForm(data, instance=copy.copy(saved))
            form.is_valid()
            context = {
                "form": form,
                "client": client,
                "conflict": saved,
                "conflict_fields": [
                    (Client._meta.get_field(name).verbose_name, getattr(saved, name))
                    for name in CLIENT_FIELDS
                    if getattr(saved, name) != form.cleaned_data.get(name)
                ],
            }
            return self.render_to_response(context, status=409)
        messages.success(request, "Contact details saved.")
        return redirect(client)


class ClientDetailView(RoleRequiredMixin, TemplateView):
    permission_required = "clinic.view_client"
    template_name = "clients/client_detail.html"

    def get(self, request, pk):
        client = get_client_for_user(request.user, pk)
        audit_record(request=request, action=AuditEvent.Action.VIEW, client=client, obj=client)
        return self.render_to_response({"client": client, "sections": []})


@require_POST
@login_required
@permission_required("clinic.archive_client", raise_exception=True)
def client_archive_view(request, pk):
    client = get_client_for_user(request.user, pk)
    client_archive(request=request, actor=request.user, client=client)
    messages.success(request, f"{client.full_name} is archived. The record is kept.")
    return redirect(client)


@require_POST
@login_required
@permission_required("clinic.archive_client", raise_exception=True)
def client_restore_view(request, pk):
    client = get_client_for_user(request.user, pk)
    client_restore(request=request, actor=request.user, client=client)
    messages.success(request, f"{client.full_name} is restored.")
    return redirect(client)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class AuditFilterForm(forms.Form):
    """The audit screen's filters; only these parameters are read from the address."""

    client = forms.CharField(
        label="Client", required=False, max_length=100, help_text="Part of a name, or the id."
    )
    staff = StaffChoiceField(
        label="Staff member",
        required=False,
        queryset=get_user_model().objects.none(),
        empty_label="Anyone",
        error_messages={"invalid_choice": "Pick a staff member from the list."},
    )
    action = forms.ChoiceField(
        label="Action",
        required=False,
        choices=[("", "Any action"), *AuditEvent.Action.choices],
        error_messages={"invalid_choice": "Pick an action from the list."},
    )
    date_from = forms.DateField(
        label="From",
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the first day as a date, for example 01/03/2026."},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the last day as a date, for example 31/03/2026."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Everyone who can act in the app: staff in a role, and superusers.
        self.fields["staff"].queryset = (
            get_user_model()
            .objects.filter(Q(groups__isnull=False) | Q(is_superuser=True))
            .distinct()
            .order_by("first_name", "last_name", "username")
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The last day cannot be before the first day.")
        return cleaned

    def filter(self, events):
        """Apply the filters that are valid (an invalid one is reported, not applied)."""
        data = getattr(self, "cleaned_data", {})
        query = (data.get("client") or "").strip()
        if query.isdecimal() and query.isascii():
            events = events.filter(client_id=int(query))
        elif query:
            events = events.filter(client__in=Client.objects.search(query).values("pk"))
        if data.get("staff"):
            events = events.filter(actor=data["staff"])
        if data.get("action"):
            events = events.filter(action=data["action"])
        # Days are the clinic's local days.
        if data.get("date_from"):
            events = events.filter(
                at__gte=timezone.make_aware(datetime.combine(data["date_from"], time.min))
            )
        if data.get("date_to") and data["date_to"] < date.max:
            next_day = data["date_to"] + timedelta(days=1)
            events = events.filter(at__lt=timezone.make_aware(datetime.combine(next_day, time.min)))
        return events

    def used(self) -> dict[str, str]:
        """The valid filters in use, as they go back into the address (for page links)."""
        data = getattr(self, "cleaned_data", {})
        used = {}
        for name in self.fields:
            value = data.get(name)
            if value in (None, ""):
                continue
            if name == "staff":
                value = value.pk
            elif name in ("date_from", "date_to"):
                value = value.isoformat()
            used[name] = str(value).strip()
        return used


@login_required
@permission_required("clinic.view_auditevent", raise_exception=True)
def audit_list(request):
    """Clinic admins: who read or changed what, newest first, filtered."""
    form = AuditFilterForm(request.GET or None)
    form.is_valid()
    used = form.used() if form.is_bound else {}
    audit_record(
        request=request,
        action=AuditEvent.Action.VIEW,
        detail={"screen": "audit", "filters": sorted(used)},
    )
    events = form.filter(AuditEvent.objects.select_related("actor", "client"))
    page = counted_page(events, request.GET.get("page"), AUDIT_EVENTS_PER_PAGE)
    for event in page.object_list:
        event.detail_items = [
            (key, ", ".join(map(str, value)) if isinstance(value, list | tuple) else value)
            for key, value in event.detail.items()
            if value not in ("", None, [], {})
        ]
    context = {
        "form": form,
        "page": page,
        "filtered": bool(used),
        "query_string": urlencode(used),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "clinic/audit_list.html", context, status=status)
