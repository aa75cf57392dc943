"""Two-factor login: a 6-digit code from an authenticator app (TOTP, django-otp).

Clinic admins always need it; with KNOTWORK_REQUIRE_2FA=1 every member of staff does. After the
password, such a user with a confirmed device is asked for a code (`/login/verify/`); one without
a device sets one up (`/account/two-factor/`). Until then clinic.middleware
.TwoFactorRequiredMiddleware lets them reach only these pages and logout.
"""

from base64 import b32encode
from urllib.parse import urlencode

import segno
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import roles

DEVICE_NAME = "Authenticator app"


def two_factor_required(user) -> bool:
    """Whether this user must confirm each login with an authenticator-app code."""
    if not user.is_authenticated:
        return False
    return settings.REQUIRE_2FA or roles.role_of(user) == roles.CLINIC_ADMIN


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def two_factor_url(user, next_url: str = "") -> str:
    """Where a user who still has to pass two-factor goes: the code page, or set-up."""
    name = "two_factor_verify" if confirmed_device(user) else "two_factor_setup"
    return _url_with_next(reverse(name), next_url)


def _url_with_next(url: str, next_url: str | None) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _mark_verified(request, device: TOTPDevice) -> None:
    # A new session key once the second factor is in, as at the password step.
    request.session.cycle_key()
    otp_login(request, device)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="6-digit code",
        max_length=9,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text="The code your authenticator app shows for Knotwork now.",
        error_messages={"required": "Enter the 6-digit code your authenticator app shows."},
    )

    def __init__(self, *args, device: TOTPDevice, submit: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("verify", submit, css_class="w-100"))

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == self.device.digits):
            raise forms.ValidationError(
                f"Enter the {self.device.digits} digits your authenticator app shows."
            )
        # Locked, so two requests cannot both pass with the same code; the failure count that
        # throttles guessing is saved before any error is raised.
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().get(pk=self.device.pk)
            allowed, _ = device.verify_is_allowed()
            verified = allowed and device.verify_token(code)
        if not allowed:
            raise forms.ValidationError(
                "Too many wrong codes in a row. Wait a few seconds, then enter the code your "
                "app shows now."
            )
        if not verified:
            raise forms.ValidationError(
                "That code is not right. Check that your phone's clock is correct and enter "
                "the code your app shows now."
            )
        self.device = device
        return code


@never_cache
@login_required
def verify_view(request):
    """Second step of login for a user with a confirmed authenticator app."""
    device = confirmed_device(request.user)
    if device is None:
        return redirect(_with_next(reverse("two_factor_setup"), request))
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = CodeForm(
        request.POST if request.method == "POST" else None, device=device, submit="Confirm"
    )
    if request.method == "POST" and form.is_valid():
        _mark_verified(request, form.device)
        return redirect(_next_url(request))
    return render(
        request,
        "clinic/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.is_bound else 200,
    )


@never_cache
@login_required
def setup_view(request):
    """Set up an authenticator app: show the secret and its QR code, confirm with a code.

    Only while the user has no confirmed device; replacing one is a clinic admin's job in the
    Django admin (delete the device, and the user sets up a new one at the next login).
    """
    if confirmed_device(request.user) is not None:
        if request.user.is_verified():
            return render(request, "clinic/two_factor_done.html")
        return redirect(_with_next(reverse("two_factor_verify"), request))
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by(
        "pk"
    ).first() or TOTPDevice.objects.create(user=request.user, name=DEVICE_NAME, confirmed=False)
    form = CodeForm(
        request.POST if request.method == "POST" else None,
        device=device,
        submit="Turn on two-factor login",
    )
    if request.method == "POST" and form.is_valid():
        device = form.device
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
        _mark_verified(request, device)
        messages.success(request, "Two-factor login is on. Keep your phone with the app safe.")
        return redirect(_next_url(request))
    return render(
        request,
        "clinic/two_factor_setup.html",
        {
            "form": form,
            "next": _next_url(request),
            "secret": secret_for_display(device),
            "qr_svg": qr_svg(device),
            "required": two_factor_required(request.user),
        },
        status=400 if form.is_bound else 200,
    )


def secret_for_display(device: TOTPDevice) -> str:
    """The secret in base32, as authenticator apps take it, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (no script or style needed)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title="QR code for your authenticator app"
    )


def _with_next(url: str, request) -> str:
    return _url_with_next(url, request.GET.get("next") or request.POST.get("next"))
