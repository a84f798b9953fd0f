"""API keys in Django's admin: an administrator makes one per integration, sees the
key once, and revokes it. A key is never edited or deleted: its events name it."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone

from api.models import ApiKey
from api.scopes import SCOPE_CHOICES
from api.services import actor_username, api_key_create, api_key_revoke
from core.errors import DomainError


class ApiKeyCreationForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "expires_at"]

    def clean_name(self):
        name = self.cleaned_data["name"]
        if get_user_model().objects.filter(username=actor_username(name)).exists():
            raise ValidationError("A login with this key's name already exists.")
        return name

    def clean_expires_at(self):
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            raise ValidationError("The expiry must be in the future.")
        return expires_at


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "scope_list", "expires_at", "revoked_at", "created_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]
    readonly_fields = [
        "name",
        "prefix",
        "scopes",
        "expires_at",
        "revoked_at",
        "created_by",
        "created_at",
    ]

    @admin.display(description="scopes")
    def scope_list(self, key: ApiKey) -> str:
        return ", ".join(key.scopes)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreationForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            key, raw_key = api_key_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.cleaned_data.get("expires_at"),
            )
        except DomainError as error:
            raise ValidationError(str(error)) from error
        obj.pk = key.pk
        request._api_key_created = (key, raw_key)

    def save_related(self, request, form, formsets, change):
        pass  # the key has no relations of its own to save from the form

    def response_add(self, request, obj, post_url_continue=None):
        key, raw_key = request._api_key_created
        # The key is shown in this one answer and nowhere else: not in a message (the
        # message store may be a cookie), not in a log.
        response = TemplateResponse(
            request,
            "api/key_created.html",
            {
                **self.admin_site.each_context(request),
                "key": key,
                "raw_key": raw_key,
                "title": f"API key {key.name}",
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(api_key=key)
        messages.success(request, f"{queryset.count()} key(s) revoked.")
