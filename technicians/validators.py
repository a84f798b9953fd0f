import phonenumbers
from django.core.exceptions import ValidationError


def normalize_e164_phone(raw: str, default_region: str = "US") -> str:
    """Parse a phone number as people type it and return it in E.164 (+15550100123)."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"“{raw}” is not a phone number.", code="phone") from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(
            f"“{raw}” has the wrong number of digits for a phone number.", code="phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_e164_phone(value: str) -> None:
    if not value.startswith("+") or normalize_e164_phone(value) != value:
        raise ValidationError(
            f"“{value}” is not in E.164 form, e.g. +15550100123.", code="phone_e164"
        )
