"""Forms of the exports page: the sessions date range, the client import upload and confirm."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from clinic.csv_io import IMPORT_MAX_BYTES, ImportFileError, decode_upload

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
# The longest range one download covers: about ten years of sessions.
MAX_RANGE_DAYS = 3700


def _day_field(label: str, which: str, example: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": f"Enter the {which} day.",
            "invalid": f"Enter the {which} day as a date, for example {example}.",
        },
    )


class SessionRangeForm(forms.Form):
    date_from = _day_field("From", "first", "01/03/2026")
    date_to = _day_field("To", "last", "31/03/2026")

    @classmethod
    def last_month(cls) -> "SessionRangeForm":
        today = timezone.localdate()
        return cls(initial={"date_from": today - timedelta(days=30), "date_to": today})

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", "The last day cannot be before the first day.")
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error("date_to", "Choose at most ten years at a time.")
        return cleaned


class ClientImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file of clients",
        help_text="UTF-8 CSV, at most 2 MB. The first line names the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={
            "required": "Choose a CSV file to upload.",
            "empty": "The file is empty.",
        },
    )

    def clean_file(self) -> str:
        """The file's text, once it is known to be a small UTF-8 .csv file."""
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(
                "Upload a .csv file. In your spreadsheet, use Save as, then CSV UTF-8."
            )
        try:
            # At most one byte past the limit is read: enough for decode_upload to refuse it.
            return decode_upload(upload.read(IMPORT_MAX_BYTES + 1), size=upload.size)
        except ImportFileError as error:
            raise forms.ValidationError(str(error)) from None


class ClientImportConfirmForm(forms.Form):
    """The checked file's text, posted back to be checked again and written."""

    csv_text = forms.CharField(
        widget=forms.HiddenInput,
        strip=False,
        error_messages={"required": "The file was lost; upload it again."},
    )

    def clean_csv_text(self) -> str:
        """The text as uploaded: browsers send a form's line breaks back as CR LF, which
        would put a file just under the limit over it."""
        text = self.cleaned_data["csv_text"].replace("\r\n", "\n")
        if len(text) > IMPORT_MAX_BYTES:
            raise forms.ValidationError("The file is over 2 MB; split it into smaller files.")
        return text
