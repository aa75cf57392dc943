from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from clinic.access import RoleRequiredMixin, get_client_for_user
from clinic.audit import audit_record
from clinic.forms import ClientForm, ClientSearchForm
from clinic.models import AuditEvent, Client
from clinic.roles import role_of
from clinic.services import client_archive, client_create, client_restore, client_update

CLIENTS_PER_PAGE = 50


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
    clients = Client.objects.all()
    query = ""
    show_archived = False
    if form.is_valid():
        query = form.cleaned_data["q"]
        show_archived = form.cleaned_data["archived"] and request.user.has_perm(
            "clinic.archive_client"
        )
    clients = clients if show_archived else clients.active()
    clients = clients.search(query)
    page = Paginator(clients, CLIENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form if form.is_bound else ClientSearchForm(),
        "page": page,
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
        return self.render_to_response({"form": ClientForm(instance=client), "client": client})

    def post(self, request, pk):
        client = get_client_for_user(request.user, pk, for_change=True)
        form = ClientForm(request.POST, instance=Client.objects.get(pk=client.pk))
        if not form.is_valid():
            return self.render_to_response({"form": form, "client": client}, status=400)
        client = client_update(
            request=request, actor=request.user, client=client, data=form.cleaned_data
        )
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
