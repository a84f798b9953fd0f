from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from technicians.validators import validate_e164_phone

CERT_LEVEL_MIN = 1
CERT_LEVEL_MAX = 5


class Skill(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Technician(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="technician"
    )
    display_name = models.CharField(max_length=120)
    phone = models.CharField(max_length=16, validators=[validate_e164_phone])
    team = models.CharField(max_length=60, blank=True, help_text="Group shown as a board filter.")
    photo = models.ImageField(upload_to="technicians/photos/", blank=True)
    photo_thumbnail = models.ImageField(upload_to="technicians/thumbs/", blank=True)
    home_address = models.CharField(max_length=255, blank=True)
    home_latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    home_longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    last_latitude = models.FloatField(null=True, blank=True)
    last_longitude = models.FloatField(null=True, blank=True)
    last_position_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    max_daily_hours = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(16)],
    )
    skills = models.ManyToManyField(Skill, through="Certification", related_name="technicians")

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(home_latitude__gte=-90, home_latitude__lte=90)
                & Q(home_longitude__gte=-180, home_longitude__lte=180),
                name="technician_home_on_earth",
            ),
            models.CheckConstraint(
                condition=Q(max_daily_hours__gte=1, max_daily_hours__lte=16),
                name="technician_max_daily_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class Certification(models.Model):
    """A technician's skill at a level; `expires_on` null means it never lapses."""

    technician = models.ForeignKey(
        Technician, on_delete=models.CASCADE, related_name="certifications"
    )
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="certifications")
    level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(CERT_LEVEL_MIN), MaxValueValidator(CERT_LEVEL_MAX)]
    )
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["skill__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["technician", "skill"], name="certification_one_per_skill"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=CERT_LEVEL_MIN, level__lte=CERT_LEVEL_MAX),
                name="certification_level_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.technician} · {self.skill} L{self.level}"

    def is_valid_on(self, day) -> bool:
        return self.expires_on is None or self.expires_on >= day


class ShiftPattern(models.Model):
    """The weekly working hours of a technician; one row per working weekday."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    class Meta:
        ordering = ["weekday", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["technician", "weekday"], name="shift_one_per_weekday"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="shift_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class ShiftException(models.Model):
    """A dated change to the weekly pattern: a day off, or different hours."""

    technician = models.ForeignKey(
        Technician, on_delete=models.CASCADE, related_name="shift_exceptions"
    )
    date = models.DateField()
    is_off = models.BooleanField(default=False)
    starts_at = models.TimeField(null=True, blank=True)
    ends_at = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["technician", "date"], name="shift_exception_one_per_day"
            ),
            models.CheckConstraint(
                condition=Q(is_off=True, starts_at__isnull=True, ends_at__isnull=True)
                | Q(
                    is_off=False,
                    starts_at__isnull=False,
                    ends_at__isnull=False,
                    ends_at__gt=F("starts_at"),
                ),
                name="shift_exception_off_or_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {'off' if self.is_off else f'{self.starts_at}-{self.ends_at}'}"


class TimeOff(models.Model):
    class Kind(models.TextChoices):
        VACATION = "vacation", "Vacation"
        SICK = "sick", "Sick"
        TRAINING = "training", "Training"

    technician = models.ForeignKey(Technician, on_delete=models.CASCADE, related_name="time_off")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="time_off_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d}–{self.ends_at:%Y-%m-%d}"
