from django import forms

from technicians.models import Skill, Technician
from workorders.models import SLAPolicy, WorkOrder
from workorders.status import Status


class BoardFilterForm(forms.Form):
    skill = forms.ModelChoiceField(
        queryset=Skill.objects.all(), required=False, empty_label="Any skill"
    )
    tier = forms.ModelChoiceField(
        queryset=SLAPolicy.objects.all(),
        required=False,
        empty_label="Any SLA tier",
        label="SLA tier",
    )
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any status"),
            *[(s.value, s.label) for s in Status if s not in (Status.CANCELLED, Status.ON_HOLD)],
        ],
    )
    team = forms.ChoiceField(required=False, choices=[("", "Any group")], label="Group")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        teams = (
            Technician.objects.filter(active=True)
            .exclude(team="")
            .values_list("team", flat=True)
            .distinct()
            .order_by("team")
        )
        self.fields["team"].choices = [("", "Any group"), *[(t, t) for t in teams]]


class AssignForm(forms.Form):
    work_order = forms.ModelChoiceField(
        queryset=WorkOrder.objects.all(),
        error_messages={"invalid_choice": "That work order does not exist."},
    )
    technician = forms.ModelChoiceField(
        queryset=Technician.objects.filter(active=True),
        error_messages={
            "invalid_choice": "That technician does not exist or is inactive.",
            "required": "Choose a technician.",
        },
    )
    position = forms.IntegerField(
        min_value=0, max_value=500, initial=0, help_text="0 = first job of the day"
    )
    target_fingerprint = forms.CharField(required=False, max_length=40)
    source_technician = forms.ModelChoiceField(
        queryset=Technician.objects.all(),
        required=False,
        error_messages={
            "invalid_choice": "The technician the job was dragged from does not exist."
        },
    )
    source_fingerprint = forms.CharField(required=False, max_length=40)
    confirm = forms.BooleanField(required=False)
    override_reason = forms.CharField(
        required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def expected_fingerprints(self) -> dict[int, str]:
        """Lane fingerprints the dispatcher saw, by technician."""
        data = self.cleaned_data
        fingerprints = {}
        if data.get("target_fingerprint"):
            fingerprints[data["technician"].pk] = data["target_fingerprint"]
        if data.get("source_technician") and data.get("source_fingerprint"):
            fingerprints[data["source_technician"].pk] = data["source_fingerprint"]
        return fingerprints


class UnassignForm(forms.Form):
    work_order = forms.ModelChoiceField(
        queryset=WorkOrder.objects.all(),
        error_messages={"invalid_choice": "That work order does not exist."},
    )
    source_fingerprint = forms.CharField(required=False, max_length=40)
