from django import forms

from notifications import texts
from notifications.models import Kind, OutboundMessage
from workorders.models import Customer


class MessageFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *Kind.choices])
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *OutboundMessage.Status.choices]
    )
    customer = forms.ModelChoiceField(
        required=False, queryset=Customer.objects.order_by("name"), empty_label="Any customer"
    )


class TemplateForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": texts.MAX_TEMPLATE_CHARS}),
        max_length=texts.MAX_TEMPLATE_CHARS,
        error_messages={"required": "Write the text, or switch this kind off."},
    )
    enabled = forms.BooleanField(required=False, label="Send this kind of text")

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        try:
            texts.validate_template(body)
        except texts.TemplateError as error:
            raise forms.ValidationError(str(error)) from None
        return body


class SandboxReplyForm(forms.Form):
    body = forms.CharField(
        max_length=1600,
        error_messages={"required": "Type the customer's reply."},
        widget=forms.TextInput(attrs={"placeholder": "Reply as the customer, e.g. STOP"}),
    )
