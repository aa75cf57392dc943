"""Forms for bookings, plans, notes, surgery and outcome measures.

Forms validate and normalise; services write. Messages say what to fix in plain words.
"""

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator

from clinic.forms import carry_version, version_field
from knowledge.models import Muscle, TriggerPoint, Zone
from treatments.access import bookable_therapists
from treatments.measures import LEFS_ITEMS, LEFS_RATINGS, PSFS_MAX_ACTIVITIES
from treatments.models import (
    Addendum,
    FindingState,
    Pressure,
    RecipientKind,
    ReferralLetter,
    Side,
    SurgeryEpisode,
    SurgeryNote,
    Technique,
    TreatmentPlan,
)

LENGTH_CHOICES = [(30, "30 minutes"), (45, "45 minutes"), (60, "1 hour"), (75, "1¼ hours"),
                  (90, "1½ hours"), (120, "2 hours")]  # fmt: skip
FARTHEST_BOOKING = timedelta(days=366)
PAIN_CHOICES = [("", "Not asked")] + [(n, str(n)) for n in range(11)]
TENDERNESS_CHOICES = [("", "—"), (0, "0 none"), (1, "1 mild"), (2, "2 moderate"),
                      (3, "3 severe")]  # fmt: skip
CANCEL_REASONS = [
    ("Client cancelled", "Client cancelled"),
    ("Client unwell", "Client unwell"),
    ("Therapist unavailable", "Therapist unavailable"),
    ("Clinic closed", "Clinic closed"),
    ("Booked in error", "Booked in error"),
    ("Other", "Other (say why below)"),
]


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def muscle_choices() -> list[tuple[str, str]]:
    return list(Muscle.objects.order_by("name").values_list("slug", "name"))


def trigger_point_choices() -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Choices "Muscle: point" and which muscle (slug) each point belongs to."""
    points = TriggerPoint.objects.select_related("muscle").order_by("muscle__name", "position")
    choices = [(str(tp.pk), f"{tp.muscle.name}: {tp.label}") for tp in points]
    return choices, {str(tp.pk): tp.muscle.slug for tp in points}


class BookingForm(forms.Form):
    date = forms.DateField(
        widget=_date_widget(),
        error_messages={
            "required": "Enter the date of the session.",
            "invalid": "Enter the date as day/month/year, for example 14/03/2027.",
        },
    )
    start_time = forms.TimeField(
        label="Start time",
        widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
        error_messages={
            "required": "Enter the time the session starts.",
            "invalid": "Enter the time as hours:minutes, for example 14:30.",
        },
    )
    minutes = forms.TypedChoiceField(label="Length", choices=LENGTH_CHOICES, coerce=int, initial=60)
    therapist = forms.ModelChoiceField(
        queryset=bookable_therapists(),
        empty_label="Choose a therapist",
        error_messages={
            "required": "Choose the therapist.",
            "invalid_choice": "Choose a therapist from the list.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean(self):
        cleaned = super().clean()
        day, start = cleaned.get("date"), cleaned.get("start_time")
        if day and start:
            starts_at = timezone.make_aware(datetime.combine(day, start))
            now = timezone.now()
            if starts_at > now + FARTHEST_BOOKING:
                self.add_error("date", "Sessions can be booked up to a year ahead.")
            elif starts_at < now - timedelta(days=60):
                self.add_error("date", "That date is more than two months ago; check the date.")
            cleaned["starts_at"] = starts_at
        return cleaned


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[("", "Choose a reason"), *CANCEL_REASONS],
        error_messages={"required": "Choose why the session is cancelled."},
    )
    detail = forms.CharField(required=False, max_length=200, label="Details")

    def clean(self):
        cleaned = super().clean()
        reason, detail = cleaned.get("reason"), " ".join(cleaned.get("detail", "").split())
        if reason == "Other" and not detail:
            self.add_error("detail", "Say why the session is cancelled.")
        cleaned["text"] = f"{reason}: {detail}" if reason and detail else (reason or "")
        if reason == "Other" and detail:
            cleaned["text"] = detail
        return cleaned


class PlanForm(forms.ModelForm):
    muscles = forms.MultipleChoiceField(
        label="Target muscles",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = TreatmentPlan
        fields = ["goals", "planned_sessions", "frequency", "start_date", "review_date", "status"]
        widgets = {
            "goals": forms.Textarea(attrs={"rows": 3}),
            "start_date": _date_widget(),
            "review_date": _date_widget(),
        }
        labels = {"goals": "Goals", "review_date": "Review on"}
        help_texts = {"goals": "What the client wants to get back to, in their words."}
        error_messages = {
            "planned_sessions": {
                "required": "Enter how many sessions are planned.",
                "invalid": "Enter the number of sessions as a whole number.",
            },
            "start_date": {"invalid": "Enter the start date as day/month/year."},
            "review_date": {"invalid": "Enter the review date as day/month/year."},
        }

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muscles"].choices = muscle_choices()
        if creating:
            del self.fields["status"]
        if self.instance.pk and not self.is_bound:
            self.initial["muscles"] = [pm.muscle.slug for pm in self.instance.plan_muscles.all()]
            self.initial["version"] = self.instance.version

    def clean_planned_sessions(self):
        value = self.cleaned_data["planned_sessions"]
        if not 1 <= value <= 52:
            raise forms.ValidationError("Plan between 1 and 52 sessions.")
        return value

    def clean(self):
        cleaned = super().clean()
        start, review = cleaned.get("start_date"), cleaned.get("review_date")
        if start and review and review < start:
            self.add_error("review_date", "The review date cannot be before the start date.")
        return cleaned

    def _post_clean(self):
        # Validation is the form's and the service's; the instance stays as loaded until saved.
        pass

    def chosen_muscles(self) -> list[Muscle]:
        slugs = self.cleaned_data.get("muscles") or []
        return list(Muscle.objects.filter(slug__in=slugs).order_by("name"))


class NormalChoices(BaseChoiceIterator):
    """Flat (value, label) pairs, used as they are.

    A choice field normalises a plain list each time it is set, twice (field and widget): with
    ~200 muscles and trigger points on each of a session note's ten rows that was a millisecond
    a row. Django takes a choice iterator as already normal.

    The pairs are a tuple, never changed once made, so a copy is the same object, shared by
    every form in every thread: every form deep-copies its fields, and a field its choices
    (pair by pair, normalising them again), ~0.2 ms for the note's two pain fields of twelve
    choices.
    """

    def __init__(self, pairs):
        self.pairs = tuple(pairs)

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


class NoteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    subjective = forms.CharField(
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the client reports: pain, sleep, activity since last time.",
    )
    objective = forms.CharField(
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you observed and tested.",
    )
    assessment = forms.CharField(
        required=False, max_length=8000, widget=forms.Textarea(attrs={"rows": 3})
    )
    plan = forms.CharField(
        label="Plan for next time",
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    pain_before = forms.TypedChoiceField(
        label="Pain before (0 to 10)", choices=NormalChoices(PAIN_CHOICES), coerce=int,
        empty_value=None, required=False,
    )  # fmt: skip
    pain_after = forms.TypedChoiceField(
        label="Pain after (0 to 10)", choices=NormalChoices(PAIN_CHOICES), coerce=int,
        empty_value=None, required=False,
    )  # fmt: skip
    home_care = forms.CharField(
        label="Home care given",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 9}),
        help_text="Prefilled from the target muscles' self-care advice; edit to suit.",
    )


class FindingForm(forms.Form):
    muscle = forms.ChoiceField(required=False)
    trigger_point = forms.ChoiceField(required=False, label="Trigger point")
    side = forms.ChoiceField(choices=Side.choices, initial=Side.BOTH)
    state = forms.ChoiceField(choices=[("", "Not examined"), *FindingState.choices], required=False)
    tenderness = forms.TypedChoiceField(
        choices=TENDERNESS_CHOICES, coerce=int, empty_value=None, required=False
    )
    referral_reproduced = forms.BooleanField(required=False, label="Referral reproduced")

    def __init__(self, *args, muscles=(), points=(), point_owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, choices in self.row_choices(muscles=muscles, points=points).items():
            self.fields[name].choices = choices
        self.point_owner = point_owner or {}

    @staticmethod
    def row_choices(*, muscles=(), points=(), point_owner=None) -> dict[str, NormalChoices]:
        """The choices each row sets on its fields (the note's table writes an unbound
        formset's rows from these without building its forms)."""
        return {
            "muscle": NormalChoices([("", "Choose a muscle"), *muscles]),
            "trigger_point": NormalChoices([("", "Whole muscle"), *points]),
        }

    def clean(self):
        cleaned = super().clean()
        muscle, state = cleaned.get("muscle"), cleaned.get("state")
        point = cleaned.get("trigger_point")
        if point and muscle and self.point_owner.get(point) != muscle:
            self.add_error("trigger_point", "That trigger point belongs to another muscle.")
        if (
            muscle
            and not state
            and (cleaned.get("tenderness") is not None or cleaned.get("referral_reproduced"))
        ):
            self.add_error("state", "Choose active, latent or resolved for this muscle.")
        if state and not muscle:
            self.add_error("muscle", "Choose the muscle this finding is about.")
        return cleaned

    @property
    def counts(self) -> bool:
        return bool(self.cleaned_data.get("muscle") and self.cleaned_data.get("state"))


class TreatmentForm(forms.Form):
    technique = forms.ChoiceField(choices=[("", "Choose a technique"), *Technique.choices],
                                  required=False)  # fmt: skip
    muscle = forms.ChoiceField(required=False)
    side = forms.ChoiceField(choices=[("", "—"), *Side.choices], required=False)
    pressure = forms.ChoiceField(choices=[("", "—"), *Pressure.choices], required=False)
    minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=240,
        error_messages={
            "min_value": "Minutes must be at least 1.",
            "max_value": "Minutes can be at most 240.",
            "invalid": "Enter minutes as a whole number.",
        },
    )

    def __init__(self, *args, muscles=(), points=(), point_owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, choices in self.row_choices(muscles=muscles).items():
            self.fields[name].choices = choices

    @staticmethod
    def row_choices(*, muscles=(), points=(), point_owner=None) -> dict[str, NormalChoices]:
        """As `FindingForm.row_choices`."""
        return {"muscle": NormalChoices([("", "Any / general"), *muscles])}

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("technique") and (
            cleaned.get("muscle") or cleaned.get("pressure") or cleaned.get("minutes")
        ):
            self.add_error("technique", "Choose the technique used.")
        return cleaned

    @property
    def counts(self) -> bool:
        return bool(self.cleaned_data.get("technique"))


class BaseFindingFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            if form.counts:
                data = form.cleaned_data
                key = (data["muscle"], data.get("trigger_point") or "", data["side"])
                if key in seen:
                    form.add_error("side", "This muscle, point and side is already listed above.")
                seen.add(key)


FindingFormSet = forms.formset_factory(
    FindingForm, formset=BaseFindingFormSet, extra=0, max_num=60, absolute_max=60
)
TreatmentFormSet = forms.formset_factory(TreatmentForm, extra=0, max_num=40, absolute_max=40)


class AddendumForm(forms.ModelForm):
    class Meta:
        model = Addendum
        fields = ["reason", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        labels = {"reason": "Reason for the addendum", "text": "Addendum"}
        error_messages = {
            "reason": {"required": "Say why you are adding to the signed note."},
            "text": {"required": "Write the addendum."},
        }


class EpisodeForm(forms.ModelForm):
    version = version_field("surgery episode")

    class Meta:
        model = SurgeryEpisode
        fields = ["procedure", "side", "date", "status", "surgeon", "clearance"]
        widgets = {"date": _date_widget()}
        labels = {"date": "Date of surgery", "surgeon": "Surgeon"}
        error_messages = {
            "procedure": {"required": "Enter the procedure, for example “left knee arthroscopy”."},
            "status": {"required": "Say whether the surgery is planned or done."},
            "date": {"invalid": "Enter the date as day/month/year."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        carry_version(self)

    def clean(self):
        cleaned = super().clean()
        status, day = cleaned.get("status"), cleaned.get("date")
        if status == "done" and not day:
            self.add_error("date", "Enter the date of a surgery that is done.")
        if status == "done" and day and day > timezone.localdate():
            self.add_error("date", "A surgery that is done cannot have a date in the future.")
        return cleaned

    def _post_clean(self):
        pass


class SurgeryNoteForm(forms.ModelForm):
    class Meta:
        model = SurgeryNote
        fields = ["noted_on", "text"]
        widgets = {"noted_on": _date_widget(), "text": forms.Textarea(attrs={"rows": 3})}
        labels = {"noted_on": "Date", "text": "Note"}
        error_messages = {"text": {"required": "Write the note."}}

    def _post_clean(self):
        pass


class _MeasureForm(forms.Form):
    measured_on = forms.DateField(
        label="Date",
        initial=timezone.localdate,
        widget=_date_widget(),
        error_messages={"invalid": "Enter the date as day/month/year."},
    )

    def clean_measured_on(self):
        value = self.cleaned_data["measured_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future.")
        return value


class NprsForm(_MeasureForm):
    score = forms.TypedChoiceField(
        label="Pain (0 none to 10 worst)",
        choices=[("", "Choose"), *[(n, str(n)) for n in range(11)]],
        coerce=int,
        error_messages={"required": "Choose the pain score from 0 to 10."},
    )
    zone = forms.ModelChoiceField(
        queryset=Zone.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="Overall pain",
        label="Where",
    )

    def answers(self) -> dict:
        return {"score": self.cleaned_data["score"]}


class PsfsForm(_MeasureForm):
    def __init__(self, *args, activities=(), **kwargs):
        super().__init__(*args, **kwargs)
        for index in range(PSFS_MAX_ACTIVITIES):
            self.fields[f"activity_{index}"] = forms.CharField(
                label=f"Activity {index + 1}", required=False, max_length=100
            )
            self.fields[f"score_{index}"] = forms.TypedChoiceField(
                label=f"Rating for activity {index + 1}",
                choices=[("", "—"), *[(n, str(n)) for n in range(11)]],
                coerce=int,
                empty_value=None,
                required=False,
            )
            if index < len(activities) and not self.is_bound:
                self.initial[f"activity_{index}"] = activities[index]

    def rows(self):
        return [(self[f"activity_{i}"], self[f"score_{i}"]) for i in range(PSFS_MAX_ACTIVITIES)]

    def clean(self):
        cleaned = super().clean()
        filled = 0
        for index in range(PSFS_MAX_ACTIVITIES):
            activity = " ".join(cleaned.get(f"activity_{index}", "").split())
            score = cleaned.get(f"score_{index}")
            if activity and score is None:
                self.add_error(f"score_{index}", f"Rate “{activity}” from 0 to 10.")
            elif score is not None and not activity:
                self.add_error(f"activity_{index}", "Name the activity this rating is for.")
            elif activity:
                filled += 1
        if filled == 0 and not self.errors:
            raise forms.ValidationError(
                "Name at least one activity the client finds hard, and rate it from 0 to 10."
            )
        return cleaned

    def answers(self) -> dict:
        rows = []
        for index in range(PSFS_MAX_ACTIVITIES):
            activity = " ".join(self.cleaned_data.get(f"activity_{index}", "").split())
            if activity:
                rows.append({"activity": activity, "score": self.cleaned_data[f"score_{index}"]})
        return {"activities": rows}


class LefsForm(_MeasureForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for index, label in enumerate(LEFS_ITEMS):
            self.fields[f"item_{index}"] = forms.TypedChoiceField(
                label=label,
                choices=LEFS_RATINGS,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": f"Rate “{label}” from 0 to 4."},
            )

    def items(self):
        return [self[f"item_{i}"] for i in range(len(LEFS_ITEMS))]

    def answers(self) -> dict:
        return {"items": [self.cleaned_data[f"item_{i}"] for i in range(len(LEFS_ITEMS))]}


MEASURE_FORMS = {"nprs": NprsForm, "psfs": PsfsForm, "lefs": LefsForm}


class ReferralLetterForm(forms.ModelForm):
    """A letter to a GP, surgeon or other professional; `episodes` are the client's surgeries."""

    class Meta:
        model = ReferralLetter
        fields = [
            "recipient_kind",
            "recipient_name",
            "recipient_address",
            "surgery_episode",
            "reason",
            "findings",
        ]
        widgets = {
            "recipient_kind": forms.RadioSelect,
            "recipient_address": forms.Textarea(attrs={"rows": 3}),
            "reason": forms.Textarea(attrs={"rows": 4}),
            "findings": forms.Textarea(attrs={"rows": 14}),
        }
        labels = {"recipient_kind": "Who is the letter to?"}
        help_texts = {
            "recipient_name": "For example “Dr A. Patel”.",
            "surgery_episode": "For a letter before or after an operation.",
            "findings": "Filled in from the record: read it through and change what you need.",
        }
        error_messages = {
            "recipient_kind": {"required": "Choose who the letter is to."},
            "recipient_name": {"required": "Enter the name of the person the letter is to."},
            "reason": {"required": "Say why you are writing: the reason for the referral."},
        }

    def __init__(self, *args, episodes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient_kind"].choices = RecipientKind.choices
        field = self.fields["surgery_episode"]
        field.queryset = episodes if episodes is not None else SurgeryEpisode.objects.none()
        field.empty_label = "Not about a surgery"
        field.label_from_instance = lambda e: (
            f"{e.title}, {e.date:%d %b %Y}" if e.date else f"{e.title}, date not set"
        )
        field.error_messages["invalid_choice"] = "Choose one of this client's surgeries."

    def _post_clean(self):
        # The service validates the model, with the client and author it sets.
        pass
