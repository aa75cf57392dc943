import re
from datetime import date

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.utils import timezone

from clinic.models import Client, digits_only
from clinic.services import CLIENT_FIELDS, likely_duplicates

_PHONE_CHARS = re.compile(r"^[0-9 +().\-]*$")
OLDEST_AGE = 120


def clean_phone_number(value: str, label: str) -> str:
    value = " ".join(value.split())
    if not value:
        return value
    if not _PHONE_CHARS.match(value):
        raise forms.ValidationError(
            f"Enter the {label} with digits, spaces and + ( ) - only, for example 07700 900123."
        )
    if not 6 <= len(digits_only(value)) <= 15:
        raise forms.ValidationError(
            f"A {label} has between 6 and 15 digits; check the number you typed."
        )
    return value


def version_field(record: str) -> forms.IntegerField:
    """The version an edit form was loaded at, posted back so that a stale save is a conflict."""
    message = f"This form is out of date: open the {record} and edit it again."
    return forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={key: message for key in ("required", "invalid", "min_value")},
    )


def carry_version(form: forms.ModelForm) -> None:
    """Start an edit form at its record's version; a form for a new record has none."""
    if form.instance.pk is None:
        del form.fields["version"]
    elif not form.is_bound:
        form.initial["version"] = form.instance.version


class ClientForm(forms.ModelForm):
    confirm_not_duplicate = forms.BooleanField(
        required=False,
        label="This is a different person: register them anyway",
    )
    version = version_field("client's record")

    class Meta:
        model = Client
        fields = list(CLIENT_FIELDS)
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "address": forms.Textarea(attrs={"rows": 2}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "emergency_contact_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }
        error_messages = {
            "first_name": {"required": "Enter the client's first name."},
            "last_name": {"required": "Enter the client's last name."},
            "date_of_birth": {
                "required": "Enter the date of birth.",
                "invalid": "Enter the date of birth as day/month/year, for example 14/03/1985.",
            },
            "email": {"invalid": "Enter an email address like name@example.com."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicates = []
        carry_version(self)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            *(["version"] if "version" in self.fields else []),
            Fieldset(
                "Name and date of birth",
                Div(
                    Div("first_name", css_class="col-md-4"),
                    Div("last_name", css_class="col-md-4"),
                    Div("preferred_name", css_class="col-md-4"),
                    css_class="row",
                ),
                Div(Div("date_of_birth", css_class="col-md-4"), css_class="row"),
            ),
            Fieldset(
                "Contact",
                Div(
                    Div("phone", css_class="col-md-4"),
                    Div("email", css_class="col-md-8"),
                    css_class="row",
                ),
                "address",
            ),
            Fieldset(
                "Emergency contact and doctor",
                Div(
                    Div("emergency_contact_name", css_class="col-md-6"),
                    Div("emergency_contact_phone", css_class="col-md-6"),
                    css_class="row",
                ),
                "gp_details",
            ),
        )
        # The duplicate confirmation is drawn by the template, beside the matching records.

    def _clean_name(self, field: str, label: str) -> str:
        value = " ".join(self.cleaned_data.get(field, "").split())
        if not value:
            raise forms.ValidationError(f"Enter the client's {label}.")
        if not re.search(r"[^\W\d_]", value):
            raise forms.ValidationError(f"The {label} must contain letters.")
        return value

    def clean_first_name(self) -> str:
        return self._clean_name("first_name", "first name")

    def clean_last_name(self) -> str:
        return self._clean_name("last_name", "last name")

    def clean_preferred_name(self) -> str:
        return " ".join(self.cleaned_data.get("preferred_name", "").split())

    def clean_date_of_birth(self) -> date:
        value = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if value > today:
            raise forms.ValidationError("The date of birth cannot be in the future.")
        if today.year - value.year > OLDEST_AGE:
            raise forms.ValidationError(
                f"That date of birth makes the client over {OLDEST_AGE}; check the year."
            )
        return value

    def clean_email(self) -> str:
        return self.cleaned_data.get("email", "").strip().lower()

    def clean_phone(self) -> str:
        return clean_phone_number(self.cleaned_data.get("phone", ""), "phone number")

    def clean_emergency_contact_phone(self) -> str:
        return clean_phone_number(
            self.cleaned_data.get("emergency_contact_phone", ""), "emergency contact phone"
        )

    def clean(self):
        cleaned = super().clean()
        first, last, born = (
            cleaned.get("first_name"),
            cleaned.get("last_name"),
            cleaned.get("date_of_birth"),
        )
        if first and last and born and not cleaned.get("confirm_not_duplicate"):
            self.duplicates = list(
                likely_duplicates(
                    first_name=first,
                    last_name=last,
                    date_of_birth=born,
                    exclude_pk=self.instance.pk,
                )[:5]
            )
            if self.duplicates:
                self.add_error(
                    "confirm_not_duplicate",
                    "A client with this name and date of birth is already registered. "
                    "Open their record instead, or tick this box if this is someone else.",
                )
        return cleaned


class ClientSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search clients",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Name, phone, email or date of birth (dd/mm/yyyy)",
                "autocomplete": "off",
            }
        ),
    )
    archived = forms.BooleanField(required=False, label="Show archived clients")
