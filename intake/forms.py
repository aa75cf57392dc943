"""The intake form, shared by staff and the client's online link.

The form is built from the knowledge base's vocabulary (zones, factors, red flags) and from the
data it is given: each body-map area ticked gets its own row of pain details. It validates in two
strengths: a draft save checks only what is typed (dates, numbers, lengths, known slugs) and never
blocks the save; a submit also demands everything a therapist needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from intake import models as m
from knowledge.body_map import ZONE_SIDES
from knowledge.models import Factor, FactorKind, RedFlag, Zone

# Field names that belong to the form; anything else posted is ignored and never stored.
PAIN_PREFIX = "pain__"
FACTOR_DETAIL_PREFIX = "factor_detail__"
OTHER_PREFIX = "other__"
RED_FLAG_PREFIX = "rf__"
PAIN_PARTS = ("intensity", "qualities", "pattern", "worse_at")
# Injuries are where a date matters ("a fall, March 2024"): these factors get a detail box.
DETAIL_KINDS = (FactorKind.INJURY,)
EARLIEST = date(1900, 1, 1)

# How much of a draft is kept: generous, so nothing typed is lost, but bounded.
DRAFT_MAX_KEYS = 400
DRAFT_MAX_VALUES = 200
DRAFT_MAX_CHARS = 20_000

UNANSWERED = "Answer this question: Yes, No or Not sure."
NUL_MESSAGE = "Remove the invisible control character (NUL) that was pasted into this text."


def _text_messages(text: forms.Field) -> forms.Field:
    """Messages that say what to fix, for text over its limit and pasted control characters."""
    text.error_messages["null_characters_not_allowed"] = NUL_MESSAGE
    if getattr(text, "max_length", None):
        text.error_messages["max_length"] = (
            f"Keep this to {text.max_length} characters or fewer; it has %(show_value)d."
        )
    return text


@dataclass(frozen=True)
class Vocabulary:
    """The zones, factors and red flags the form offers, in the knowledge base's order."""

    zones: dict[str, Zone]
    factors: dict[str, Factor]
    red_flags: dict[str, RedFlag]

    @classmethod
    def load(cls) -> Vocabulary:
        return cls(
            zones={zone.slug: zone for zone in Zone.objects.order_by("position", "slug")},
            factors={f.slug: f for f in Factor.objects.order_by("position", "slug")},
            red_flags={flag.slug: flag for flag in RedFlag.objects.order_by("position", "slug")},
        )

    @property
    def zone_names(self) -> dict[str, str]:
        return {slug: zone.name for slug, zone in self.zones.items()}


# The typed result of a valid submit, what intake_submit writes.


@dataclass(frozen=True)
class PainData:
    zone: str
    side: str
    intensity: int
    qualities: tuple[str, ...] = ()
    pattern: str = ""
    worse_at: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntakeData:
    main_complaint: str = ""
    onset_date: date | None = None
    onset_duration: str = ""
    goals: str = ""
    medications: str = ""
    pain: tuple[PainData, ...] = ()
    factors: tuple[tuple[str, str], ...] = ()  # (slug, detail)
    other_factors: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)  # red flag slug -> answer
    surgery: str = m.SurgeryAnswer.NONE
    surgery_procedure: str = ""
    surgery_side: str = ""
    surgery_date: date | None = None
    consent_name: str = ""


def _clean_text(value) -> str:
    # Paste from other programs brings odd whitespace; keep line breaks, trim the ends.
    return "\n".join(line.rstrip() for line in str(value).strip().splitlines())


def pain_field(zone: str, side: str, part: str) -> str:
    return f"{PAIN_PREFIX}{zone}__{side}__{part}"


_ALLOWED_NAME = re.compile(
    r"^(version|editor|main_complaint|onset_date|onset_duration|goals|medications|pain_zones|factors"
    r"|surgery|surgery_procedure|surgery_side|surgery_date|consent_name"
    r"|pain__[a-z0-9-]{1,40}__(left|right|both)__(intensity|qualities|pattern|worse_at)"
    r"|factor_detail__[a-z0-9-]{1,40}|other__[a-z]{1,20}|rf__[a-z0-9-]{1,60})$"
)


def sanitise_state(data) -> dict[str, list[str]]:
    """The form's fields from posted data, as storable JSON: what the draft keeps.

    Unknown names are dropped; NUL characters and unpaired surrogates (which PostgreSQL cannot
    store) are removed; each value is capped at DRAFT_MAX_CHARS, far above any field's limit,
    so text over a limit is kept for the person to shorten.
    """
    state: dict[str, list[str]] = {}
    if hasattr(data, "lists"):
        items = data.lists()
    else:
        items = ((k, v if isinstance(v, list | tuple) else [v]) for k, v in dict(data).items())
    for name, values in items:
        if len(state) >= DRAFT_MAX_KEYS:
            break
        if (
            not isinstance(name, str)
            or not _ALLOWED_NAME.match(name)
            or name in ("version", "editor")
        ):
            continue
        kept = []
        for value in list(values)[:DRAFT_MAX_VALUES]:
            text = str(value)[:DRAFT_MAX_CHARS].replace("\x00", "")
            kept.append(text.encode("utf-8", "replace").decode("utf-8"))
        state[name] = kept
    return state


def state_to_data(state: dict) -> MultiValueDict:
    data = MultiValueDict()
    for name, values in (state or {}).items():
        if isinstance(values, list):
            data.setlist(name, [str(v) for v in values])
    return data


class IntakeForm(forms.Form):
    """The whole intake. `submitting=True` demands everything; otherwise only checks format."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    editor = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)
    main_complaint = forms.CharField(
        label="Main complaint",
        help_text="In the client's words: what hurts, and what brings them in.",
        required=False,
        max_length=m.MAIN_COMPLAINT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    onset_date = forms.DateField(
        label="Pain started on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the date as day/month/year, for example 14/03/2025."},
    )
    onset_duration = forms.CharField(
        label="Or, roughly how long ago",
        help_text="If the date is not known, for example “about 3 months”.",
        required=False,
        max_length=m.DURATION_MAX,
    )
    goals = forms.CharField(
        label="What they want to get back to doing",
        help_text="For example: running 5 km, walking the dog, kneeling in the garden.",
        required=False,
        max_length=m.GOALS_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    pain_zones = forms.MultipleChoiceField(
        label="Where it hurts", required=False, widget=forms.CheckboxSelectMultiple
    )
    factors = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    surgery = forms.ChoiceField(
        label="Any operation planned, or in the past, on the back, hips, legs or feet?",
        choices=m.SurgeryAnswer.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    surgery_procedure = forms.CharField(
        label="Operation",
        required=False,
        max_length=m.PROCEDURE_MAX,
        help_text="For example: left knee replacement, bunion removal.",
    )
    surgery_side = forms.ChoiceField(
        label="Side", choices=[("", "—"), *m.Side.choices], required=False
    )
    surgery_date = forms.DateField(
        label="Date of the operation",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the date as day/month/year, for example 14/03/2025."},
    )
    medications = forms.CharField(
        label="Medications",
        help_text="Everything taken regularly, including blood thinners and painkillers.",
        required=False,
        max_length=m.MEDICATIONS_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    consent_name = forms.CharField(
        label="Full name, typed as a signature",
        required=False,
        max_length=m.CONSENT_NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    # Labels for the client filling their own form (online), where staff wording would jar.
    CLIENT_WORDING = {
        "main_complaint": (
            "What is the problem?",
            "In your own words: what hurts, and why you booked.",
        ),
        "goals": (
            "What would you like to get back to doing?",
            "For example: running 5 km, walking the dog, kneeling in the garden.",
        ),
        "medications": (
            "Medicines you take",
            "Everything you take regularly, including blood thinners and painkillers.",
        ),
        "consent_name": ("Your full name, typed as your signature", ""),
    }

    def __init__(
        self,
        *args,
        vocabulary: Vocabulary,
        submitting: bool = False,
        online: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.vocabulary = vocabulary
        self.submitting = submitting
        self.online = online
        if online:
            for name, (label, help_text) in self.CLIENT_WORDING.items():
                self.fields[name].label = label
                self.fields[name].help_text = help_text
        self._set_messages()
        zone_values = [
            f"{slug}:{side}"
            for slug in vocabulary.zones
            for side in (*ZONE_SIDES.get(slug, ("both",)), "both")
        ]
        self.fields["pain_zones"].choices = [(v, v) for v in dict.fromkeys(zone_values)]
        self.fields["factors"].choices = [(slug, f.name) for slug, f in vocabulary.factors.items()]
        for slug, factor in vocabulary.factors.items():
            if factor.kind in DETAIL_KINDS:
                self.fields[f"{FACTOR_DETAIL_PREFIX}{slug}"] = self._text(
                    "When, or more detail", m.FACTOR_DETAIL_MAX
                )
        for kind, label in FactorKind.choices:
            self.fields[f"{OTHER_PREFIX}{kind}"] = self._text(
                f"Other {label.lower()}", m.OTHER_FACTOR_MAX
            )
        for slug, flag in vocabulary.red_flags.items():
            self.fields[f"{RED_FLAG_PREFIX}{slug}"] = forms.ChoiceField(
                label=flag.question,
                choices=m.Answer.choices,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "btn-check"}),
                error_messages={"invalid_choice": "Choose Yes, No or Not sure."},
            )
        self.pain_keys = self._selected_pain_keys()
        for zone, side in self.pain_keys:
            self._add_pain_fields(zone, side)
        for bound in self.fields.values():
            widget = bound.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control")

    # Building

    def _set_messages(self):
        for bound in self.fields.values():
            _text_messages(bound)
        self.fields["pain_zones"].error_messages["invalid_choice"] = (
            "“%(value)s” is not an area on the body map. Tick the areas that hurt on the map or "
            "in the list."
        )
        self.fields["factors"].error_messages["invalid_choice"] = (
            "“%(value)s” is not one of the listed items. Tick items in the lists, or write it in "
            "an “Other” box."
        )
        self.fields["surgery"].error_messages["invalid_choice"] = (
            "Choose no surgery, surgery planned, or surgery in the past."
        )
        self.fields["surgery_side"].error_messages["invalid_choice"] = (
            "Choose left, right or both for the side of the operation."
        )

    @staticmethod
    def _text(label: str, limit: int) -> forms.CharField:
        return _text_messages(forms.CharField(label=label, required=False, max_length=limit))

    def _raw_list(self, name: str) -> list[str]:
        if not self.is_bound:
            initial = self.initial.get(name) or []
            return list(initial) if isinstance(initial, list | tuple) else [initial]
        if hasattr(self.data, "getlist"):
            return self.data.getlist(name)
        value = self.data.get(name)
        return value if isinstance(value, list) else [] if value is None else [value]

    def _selected_pain_keys(self) -> list[tuple[str, str]]:
        """The (zone, side) pairs ticked, known ones only, in the knowledge base's order.

        "zone:both" on a zone drawn with two sides stands for the left and the right.
        """
        chosen: list[tuple[str, str]] = []
        for value in self._raw_list("pain_zones"):
            zone, _, side = str(value).partition(":")
            if zone not in self.vocabulary.zones or side not in m.Side.values:
                continue
            sides = ZONE_SIDES.get(zone, ("both",))
            if side == "both" and "both" not in sides:
                chosen.extend((zone, s) for s in sides)
            elif side in sides:
                chosen.append((zone, side))
        order = {slug: i for i, slug in enumerate(self.vocabulary.zones)}
        unique = dict.fromkeys(chosen)
        return sorted(unique, key=lambda k: (order[k[0]], k[1]))

    def _add_pain_fields(self, zone: str, side: str) -> None:
        place = self.place_name(zone, side)
        self.fields[pain_field(zone, side, "intensity")] = forms.IntegerField(
            label=f"Pain now, 0 to 10 ({place})",
            required=False,
            widget=forms.NumberInput(attrs={"min": 0, "max": 10, "inputmode": "numeric"}),
            error_messages={
                "invalid": f"Give the pain for {place} as a whole number from 0 to 10.",
                "min_value": "Pain is scored from 0 (none) to 10 (worst imaginable); "
                "%(limit_value)s is the lowest.",
                "max_value": "Pain is scored from 0 (none) to 10 (worst imaginable); "
                "%(limit_value)s is the highest.",
            },
            min_value=0,
            max_value=10,
        )
        self.fields[pain_field(zone, side, "qualities")] = forms.MultipleChoiceField(
            label="What it feels like",
            choices=m.PainQuality.choices,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            error_messages={"invalid_choice": "Choose from the listed feelings."},
        )
        self.fields[pain_field(zone, side, "pattern")] = forms.ChoiceField(
            label="Constant or comes and goes",
            choices=m.PainPattern.choices,
            required=False,
            widget=forms.RadioSelect,
            error_messages={"invalid_choice": "Choose constant, or comes and goes."},
        )
        self.fields[pain_field(zone, side, "worse_at")] = forms.MultipleChoiceField(
            label="Worse",
            choices=m.WorseAt.choices,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            error_messages={"invalid_choice": "Choose from the listed times."},
        )

    def place_name(self, zone: str, side: str) -> str:
        name = self.vocabulary.zones[zone].name
        return name if side == "both" else f"{name}, {side}"

    # For the template

    @property
    def selected_zone_values(self) -> list[str]:
        return [f"{zone}:{side}" for zone, side in self.pain_keys]

    @property
    def pain_rows(self) -> list[dict]:
        return [
            {
                "key": f"{zone}-{side}",
                "place": self.place_name(zone, side),
                **{part: self[pain_field(zone, side, part)] for part in PAIN_PARTS},
            }
            for zone, side in self.pain_keys
        ]

    @property
    def factor_groups(self) -> list[dict]:
        ticked = set(self._raw_list("factors"))
        groups = []
        for kind, label in FactorKind.choices:
            options = []
            for slug, factor in self.vocabulary.factors.items():
                if factor.kind != kind:
                    continue
                detail = self.fields.get(f"{FACTOR_DETAIL_PREFIX}{slug}")
                options.append(
                    {
                        "slug": slug,
                        "name": factor.name,
                        "hint": factor.hint,
                        "checked": slug in ticked,
                        "detail": self[f"{FACTOR_DETAIL_PREFIX}{slug}"] if detail else None,
                    }
                )
            groups.append(
                {
                    "kind": kind,
                    "label": label,
                    "options": options,
                    "other": self[f"{OTHER_PREFIX}{kind}"],
                }
            )
        return groups

    @property
    def red_flag_rows(self) -> list[dict]:
        return [
            {"slug": slug, "question": flag.question, "field": self[f"{RED_FLAG_PREFIX}{slug}"]}
            for slug, flag in self.vocabulary.red_flags.items()
        ]

    @property
    def error_summary(self) -> list[dict]:
        """Each error with the field it belongs to, for the list at the top of the form."""
        summary = []
        unanswered = [
            name
            for name, errors in self.errors.items()
            if name.startswith(RED_FLAG_PREFIX) and errors == [UNANSWERED]
        ]
        for name, errors in self.errors.items():
            if name in unanswered[1:]:
                continue
            if name in unanswered[:1]:
                count = len(unanswered)
                summary.append(
                    {
                        "anchor": f"f-{name}",
                        "label": "Health questions",
                        "message": f"{count} question{'s' if count > 1 else ''} not answered yet; "
                        "answer each one Yes, No or Not sure.",
                    }
                )
                continue
            if name == "__all__" or name not in self.fields:
                summary.extend({"anchor": "", "label": "", "message": e} for e in errors)
                continue
            label = self.fields[name].label or name
            if name.startswith(PAIN_PREFIX):
                zone, side = name[len(PAIN_PREFIX) :].split("__")[:2]
                if zone in self.vocabulary.zones:
                    label = f"{self.place_name(zone, side)}: {label}"
            summary.extend({"anchor": f"f-{name}", "label": label, "message": e} for e in errors)
        return summary

    @property
    def error_count(self) -> int:
        return sum(len(errors) for errors in self.errors.values())

    # Validation

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "is-invalid" not in css and css:
                    widget.attrs["class"] = f"{css} is-invalid"
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"

    def clean_pain_zones(self) -> list[str]:
        values = self.cleaned_data.get("pain_zones") or []
        raw = [str(v) for v in self._raw_list("pain_zones")]
        seen: set[tuple[str, str]] = set()
        for value in raw:
            zone, _, side = value.partition(":")
            if zone not in self.vocabulary.zones:
                continue
            sides = ZONE_SIDES.get(zone, ("both",))
            covered = sides if side == "both" else (side,)
            for one in covered:
                if (zone, one) in seen:
                    raise forms.ValidationError(
                        f"{self.place_name(zone, one)} is marked more than once. Mark each area "
                        "and side once."
                    )
                seen.add((zone, one))
        return values

    def clean_onset_date(self) -> date | None:
        value = self.cleaned_data.get("onset_date")
        if value and value > timezone.localdate():
            raise forms.ValidationError(
                "The pain cannot have started in the future; check the date."
            )
        if value and value < EARLIEST:
            raise forms.ValidationError("That date is too far back; check the year.")
        return value

    def clean_surgery_date(self) -> date | None:
        value = self.cleaned_data.get("surgery_date")
        if value and value < EARLIEST:
            raise forms.ValidationError("That date is too far back; check the year.")
        return value

    def clean_factors(self) -> list[str]:
        values = self._raw_list("factors")
        if len(values) != len(set(values)):
            raise forms.ValidationError("An item is ticked more than once; tick each item once.")
        return self.cleaned_data.get("factors") or []

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and name != "editor":
                cleaned[name] = _clean_text(value)
        surgery = cleaned.get("surgery") or m.SurgeryAnswer.NONE
        surgery_date = cleaned.get("surgery_date")
        if surgery == m.SurgeryAnswer.DONE and surgery_date and surgery_date > timezone.localdate():
            self.add_error(
                "surgery_date",
                "A past operation cannot have a date in the future. Choose “Surgery planned” "
                "or check the date.",
            )
        if surgery == m.SurgeryAnswer.NONE and (
            cleaned.get("surgery_procedure") or surgery_date or cleaned.get("surgery_side")
        ):
            self.add_error(
                "surgery",
                "An operation is described below: say whether it is planned or in the past, or "
                "clear its details.",
            )
        if self.submitting:
            self._clean_for_submit(cleaned, surgery)
        return cleaned

    def _clean_for_submit(self, cleaned: dict, surgery: str) -> None:
        def need(name: str, message: str) -> None:
            if name not in self.errors and not cleaned.get(name):
                self.add_error(name, message)

        need(
            "main_complaint",
            "Describe the problem: what hurts, and why you booked."
            if self.online
            else "Describe the main complaint: what hurts and what brings them in.",
        )
        if (
            "onset_date" not in self.errors
            and not cleaned.get("onset_date")
            and not cleaned.get("onset_duration")
        ):
            self.add_error(
                "onset_date", "Give the date the pain started, or roughly how long ago below."
            )
        if "pain_zones" not in self.errors and not self.pain_keys:
            self.add_error("pain_zones", "Mark at least one area that hurts on the body map.")
        for zone, side in self.pain_keys:
            name = pain_field(zone, side, "intensity")
            if name not in self.errors and cleaned.get(name) is None:
                self.add_error(
                    name,
                    f"Give the pain for {self.place_name(zone, side)} from 0 (none) to 10 "
                    "(worst imaginable).",
                )
        for slug in self.vocabulary.red_flags:
            name = f"{RED_FLAG_PREFIX}{slug}"
            if name not in self.errors and not cleaned.get(name):
                self.add_error(name, UNANSWERED)
        if surgery != m.SurgeryAnswer.NONE:
            need("surgery_procedure", "Say which operation it is.")
        need(
            "consent_name",
            "Type your full name to give your consent to treatment."
            if self.online
            else "Type the client's full name to record their consent to treatment.",
        )

    def to_data(self) -> IntakeData:
        """The valid form as the typed values intake_submit writes."""
        cleaned = self.cleaned_data
        ticked = cleaned.get("factors") or []
        surgery = cleaned.get("surgery") or m.SurgeryAnswer.NONE
        has_surgery = surgery != m.SurgeryAnswer.NONE
        return IntakeData(
            main_complaint=cleaned.get("main_complaint", ""),
            onset_date=cleaned.get("onset_date"),
            onset_duration=cleaned.get("onset_duration", ""),
            goals=cleaned.get("goals", ""),
            medications=cleaned.get("medications", ""),
            pain=tuple(
                PainData(
                    zone=zone,
                    side=side,
                    intensity=cleaned[pain_field(zone, side, "intensity")],
                    qualities=tuple(cleaned.get(pain_field(zone, side, "qualities")) or ()),
                    pattern=cleaned.get(pain_field(zone, side, "pattern")) or "",
                    worse_at=tuple(cleaned.get(pain_field(zone, side, "worse_at")) or ()),
                )
                for zone, side in self.pain_keys
            ),
            factors=tuple(
                (slug, cleaned.get(f"{FACTOR_DETAIL_PREFIX}{slug}", "")) for slug in ticked
            ),
            other_factors={
                kind: cleaned[f"{OTHER_PREFIX}{kind}"]
                for kind in FactorKind.values
                if cleaned.get(f"{OTHER_PREFIX}{kind}")
            },
            answers={
                slug: cleaned[f"{RED_FLAG_PREFIX}{slug}"]
                for slug in self.vocabulary.red_flags
                if cleaned.get(f"{RED_FLAG_PREFIX}{slug}")
            },
            surgery=surgery,
            surgery_procedure=cleaned.get("surgery_procedure", "") if has_surgery else "",
            surgery_side=cleaned.get("surgery_side", "") if has_surgery else "",
            surgery_date=cleaned.get("surgery_date") if has_surgery else None,
            consent_name=cleaned.get("consent_name", ""),
        )


class AmendmentForm(forms.Form):
    text = forms.CharField(
        label="Amendment",
        help_text="What to add or correct, and why. It is dated and signed with your name.",
        max_length=m.AMENDMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        error_messages={
            "required": "Write the amendment before adding it.",
            "null_characters_not_allowed": NUL_MESSAGE,
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _text_messages(self.fields["text"])

    def clean_text(self) -> str:
        text = _clean_text(self.cleaned_data["text"])
        if not text:
            raise forms.ValidationError("Write the amendment before adding it.")
        return text


class OnlineLinkForm(forms.Form):
    days = forms.IntegerField(
        label="Valid for (days)",
        initial=7,
        min_value=1,
        max_value=30,
        widget=forms.NumberInput(attrs={"class": "form-control", "min": 1, "max": 30}),
        error_messages={
            "required": "Say for how many days the link works (1 to 30).",
            "invalid": "Give the number of days as a whole number from 1 to 30.",
            "min_value": "A link must work for at least 1 day.",
            "max_value": "A link can work for at most 30 days; send a new one later if needed.",
        },
    )
    send_email = forms.BooleanField(
        label="Email the link to the client", required=False, initial=True
    )


class IntakeImportForm(forms.Form):
    json_text = forms.CharField(
        label="Intake JSON",
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 10, "class": "form-control font-monospace"}),
        help_text='For example {"pain": [{"zone": "calf", "side": "left", "intensity": 6}], '
        '"factors": ["running"], "red_flags": []}',
        error_messages={"null_characters_not_allowed": NUL_MESSAGE},
    )
    json_file = forms.FileField(
        label="Or upload a .json file",
        required=False,
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".json"}),
    )

    MAX_UPLOAD = 200_000
    # What browsers and mail programs call a .json file; the content is checked as JSON anyway.
    UPLOAD_TYPES = ("application/json", "text/json", "text/plain", "application/octet-stream")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("json_file")
        text = cleaned.get("json_text", "")
        if upload:
            content_type = (upload.content_type or "").split(";")[0].strip().lower()
            if not upload.name.lower().endswith(".json") or (
                content_type and content_type not in self.UPLOAD_TYPES
            ):
                self.add_error(
                    "json_file", "Choose a .json file: an intake exported from Knotwork as JSON."
                )
                return cleaned
            if upload.size > self.MAX_UPLOAD:
                self.add_error("json_file", "That file is too large for an intake (over 200 KB).")
                return cleaned
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("json_file", "That file is not a UTF-8 text file; save it as JSON.")
                return cleaned
            if "\x00" in text:
                self.add_error("json_file", "That file holds binary data, not JSON text.")
                return cleaned
        if not text.strip() and not self.errors:
            self.add_error("json_text", "Paste the intake JSON, or choose a file to upload.")
        cleaned["text"] = text
        return cleaned
