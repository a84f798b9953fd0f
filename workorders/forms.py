from django import forms
from django.core.exceptions import ValidationError

from technicians.forms import ImageUploadField, PhoneField, SkillLevelField
from technicians.models import Skill
from workorders.models import Customer, Site, SLAPolicy, WorkOrder
from workorders.sla import SLAState
from workorders.status import Status


class CustomerForm(forms.ModelForm):
    phone = PhoneField(
        max_length=30, help_text="Mobile number; stored as E.164, e.g. +15550100123."
    )

    class Meta:
        model = Customer
        fields = ["name", "phone", "email", "sms_consent", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"sms_consent": "Agrees to receive text messages (SMS)"}


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["label", "address", "latitude", "longitude", "access_notes"]
        widgets = {"access_notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"label": "A name for the place, e.g. “Main” or “Warehouse”."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A spare row starts empty, so leaving it alone adds nothing; a new site with
        # no name is called "Main".
        self.fields["label"].required = False
        if self.instance.pk is None:
            self.fields["label"].initial = ""

    def clean_label(self) -> str:
        return self.cleaned_data.get("label", "").strip() or "Main"

    def has_changed(self) -> bool:
        # The label alone (the spare row's default) is not a site.
        return bool(set(self.changed_data) - {"label"}) or bool(self.instance.pk)

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError("Give both latitude and longitude, or neither.")
        return data


class SiteBaseFormSet(forms.BaseInlineFormSet):
    default_error_messages = {
        "too_few_forms": "Add at least one site: the address where the work is done.",
    }


SiteFormSet = forms.inlineformset_factory(
    Customer,
    Site,
    form=SiteForm,
    formset=SiteBaseFormSet,
    extra=1,
    can_delete=True,
    min_num=1,
    validate_min=True,
)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class WorkOrderForm(forms.ModelForm):
    estimated_minutes = forms.IntegerField(
        label="Estimated duration (minutes)",
        error_messages={"invalid": "Enter the duration as a whole number of minutes."},
    )
    photo_upload = ImageUploadField(required=False, label="Photo")

    class Meta:
        model = WorkOrder
        fields = [
            "customer",
            "site",
            "summary",
            "job_type",
            "priority",
            "estimated_minutes",
            "window_start",
            "window_end",
            "sla_policy",
            "billing_reference",
            "notes",
        ]
        labels = {
            "window_start": "Customer window from",
            "window_end": "Customer window to",
            "sla_policy": "SLA tier",
        }
        widgets = {
            "window_start": DateTimeLocalInput(),
            "window_end": DateTimeLocalInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        customer_id = self.data.get("customer") or (
            self.instance.customer_id if self.instance.pk else None
        )
        sites = (
            Site.objects.filter(customer_id=customer_id)
            if str(customer_id or "").isdigit()
            else Site.objects.none()
        )
        self.fields["site"].queryset = sites
        self.fields["site"].error_messages["invalid_choice"] = (
            "Choose a site of the selected customer."
        )
        self.fields["sla_policy"].queryset = SLAPolicy.objects.all()

    def clean_estimated_minutes(self):
        minutes = self.cleaned_data["estimated_minutes"]
        if minutes <= 0:
            raise ValidationError("The duration must be a positive number of minutes.")
        if minutes < 5 or minutes > 24 * 60:
            raise ValidationError("The duration must be between 5 minutes and 24 hours.")
        return minutes

    def clean(self):
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        # Errors go on the field that is missing, which also keeps the model's check
        # constraint (and its technical name) out of the messages.
        if start is not None and end is None:
            self.add_error(
                "window_end", "Give the end of the customer window too, or clear its start."
            )
        elif end is not None and start is None:
            self.add_error(
                "window_start", "Give the start of the customer window too, or clear its end."
            )
        if start and end and end <= start:
            self.add_error("window_end", "The window must end after it starts.")
        return data


class RequiredSkillForm(forms.Form):
    skill = forms.ModelChoiceField(
        queryset=Skill.objects.all(),
        error_messages={"invalid_choice": "That skill does not exist."},
    )
    min_level = SkillLevelField(label="Minimum level", initial=1)


class RequiredSkillBaseFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        skills = [
            form.cleaned_data["skill"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if len(skills) != len(set(skills)):
            raise ValidationError("Each skill may be required only once.")


RequiredSkillFormSet = forms.formset_factory(
    RequiredSkillForm, formset=RequiredSkillBaseFormSet, extra=1, can_delete=True
)


# The list's default: work still to do (not completed or cancelled).
OPEN_WORK = "open"


class WorkOrderFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    status = forms.ChoiceField(
        required=False,
        choices=[(OPEN_WORK, "Open work"), ("", "Any status"), *Status.choices],
    )
    sla = forms.ChoiceField(
        required=False,
        label="SLA",
        choices=[
            ("", "Any SLA state"),
            (SLAState.OK, "OK"),
            (SLAState.AT_RISK, "At risk"),
            (SLAState.BREACHED, "Breached"),
        ],
    )
    due_before = forms.DateField(
        required=False, label="Due before", widget=forms.DateInput(attrs={"type": "date"})
    )
    skill = forms.ModelChoiceField(
        required=False, queryset=Skill.objects.all(), empty_label="Any skill"
    )


class SLAPauseForm(forms.Form):
    reason = forms.CharField(
        max_length=200, help_text="Customer-caused delay, e.g. “no access to site”."
    )


class PhotoForm(forms.Form):
    photo = ImageUploadField()
    caption = forms.CharField(max_length=200, required=False)
