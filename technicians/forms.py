from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from technicians.images import validate_image_upload
from technicians.models import (
    CERT_LEVEL_MAX,
    CERT_LEVEL_MIN,
    Certification,
    ShiftPattern,
    Skill,
    Technician,
    TimeOff,
)
from technicians.services import time_off_fingerprint
from technicians.validators import normalize_e164_phone

LEVEL_CHOICES = [(level, f"Level {level}") for level in range(CERT_LEVEL_MIN, CERT_LEVEL_MAX + 1)]
LEVEL_ERROR = f"Skill level must be a whole number from {CERT_LEVEL_MIN} to {CERT_LEVEL_MAX}."


class PhoneField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        return normalize_e164_phone(value) if value else value


class SkillLevelField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=LEVEL_CHOICES,
            coerce=int,
            error_messages={"invalid_choice": LEVEL_ERROR},
            **kwargs,
        )


class ImageUploadField(forms.ImageField):
    """Accepts JPEG/PNG/WebP within the size cap; the message names the problem."""

    default_error_messages = {
        "invalid_image": "That file is not an image we can read (use JPEG, PNG or WebP).",
    }

    def clean(self, data, initial=None):
        if data and hasattr(data, "size"):
            validate_image_upload(data)  # size first, so a huge file is not decoded
        return super().clean(data, initial)


class TechnicianForm(forms.ModelForm):
    phone = PhoneField(max_length=30)
    photo_upload = ImageUploadField(required=False, label="New photo")
    # The time off as this form saw it: saving must not drop a sick call added meanwhile.
    time_off_fingerprint = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["time_off_fingerprint"].initial = time_off_fingerprint(self.instance)

    class Meta:
        model = Technician
        fields = [
            "display_name",
            "phone",
            "team",
            "home_address",
            "home_latitude",
            "home_longitude",
            "active",
            "max_daily_hours",
        ]


class CertificationForm(forms.Form):
    skill = forms.ModelChoiceField(queryset=Skill.objects.all())
    level = SkillLevelField()
    expires_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ShiftForm(forms.Form):
    weekday = forms.TypedChoiceField(choices=ShiftPattern.Weekday.choices, coerce=int)
    starts_at = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    ends_at = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("A shift must end after it starts.")
        return data


class TimeOffForm(forms.Form):
    kind = forms.ChoiceField(choices=TimeOff.Kind.choices)
    starts_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reason = forms.CharField(max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("Time off must end after it starts.")
        return data


class UniqueFieldFormSet(forms.BaseFormSet):
    unique_field = ""
    unique_message = ""

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            key = form.cleaned_data[self.unique_field]
            if key in seen:
                raise ValidationError(self.unique_message)
            seen.add(key)


class CertificationFormSet(UniqueFieldFormSet):
    unique_field = "skill"
    unique_message = "Each skill may be listed only once."


class ShiftFormSet(UniqueFieldFormSet):
    unique_field = "weekday"
    unique_message = "Each weekday may have only one shift."


CertificationFormSetFactory = forms.formset_factory(
    CertificationForm, formset=CertificationFormSet, extra=1, can_delete=True
)
ShiftFormSetFactory = forms.formset_factory(
    ShiftForm, formset=ShiftFormSet, extra=1, can_delete=True
)
TimeOffFormSetFactory = forms.formset_factory(TimeOffForm, extra=1, can_delete=True)


def initial_certifications(technician: Technician) -> list[dict]:
    return [
        {"skill": c.skill_id, "level": c.level, "expires_on": c.expires_on}
        for c in Certification.objects.filter(technician=technician).select_related("skill")
    ]


class LoginForm(AuthenticationForm):
    """Django's login form, refusing a username longer than any user can have before
    a password is checked: it only sets the input's `maxlength`, so a 5,000-character
    name reached `authenticate()`, and django-axes failed to record it (its column holds
    255) with a 500 (issue 25, the fuzz test)."""

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if len(username) > self.username_field.max_length:
            raise ValidationError(
                "No user has a name that long (at most %(limit)d characters).",
                code="username_too_long",
                params={"limit": self.username_field.max_length},
            )
        return username
