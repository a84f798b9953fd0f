"""Test data builders. Work orders go through the service so SLA fields are real."""

from datetime import date, time, timedelta

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from technicians.models import Certification, ShiftPattern, Skill, Technician
from technicians.roles import Role
from workorders.models import Customer, Site, SLAPolicy
from workorders.services import SkillRequirement, work_order_create


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get_or_create(name=Role(extracted).value)[0])


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"skill-{n}")
    name = factory.Sequence(lambda n: f"Skill {n}")


class TechnicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Technician

    user = factory.SubFactory(UserFactory, role=Role.TECHNICIAN)
    display_name = factory.Sequence(lambda n: f"Tech {n}")
    phone = factory.Sequence(lambda n: f"+1312555{n % 10000:04d}")
    home_latitude = 41.88
    home_longitude = -87.63


def certify(
    technician: Technician, skill: Skill, level: int = 3, expires_on: date | None = None
) -> Certification:
    return Certification.objects.create(
        technician=technician, skill=skill, level=level, expires_on=expires_on
    )


def give_shift(
    technician: Technician, weekday: int, starts: time = time(8), ends: time = time(17)
) -> ShiftPattern:
    return ShiftPattern.objects.create(
        technician=technician, weekday=weekday, starts_at=starts, ends_at=ends
    )


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    phone = factory.Sequence(lambda n: f"+1773555{n % 10000:04d}")
    sms_consent = True


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    customer = factory.SubFactory(CustomerFactory)
    address = factory.Sequence(lambda n: f"{100 + n} N State St, Chicago")
    latitude = 41.89
    longitude = -87.62


class SLAPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLAPolicy
        django_get_or_create = ("tier",)

    tier = "Gold"
    response_minutes = 8 * 60
    resolution_minutes = 24 * 60
    calendar = SLAPolicy.Calendar.BUSINESS
    business_day_start = time(8)
    business_day_end = time(17)
    business_weekdays = [0, 1, 2, 3, 4]


def make_work_order(
    *,
    site=None,
    policy=None,
    skills=(),
    minutes=60,
    received_at=None,
    window=None,
    priority=2,
    actor=None,
):
    site = site or SiteFactory()
    policy = policy or SLAPolicyFactory()
    return work_order_create(
        actor=actor,
        data={
            "customer": site.customer,
            "site": site,
            "job_type": "repair",
            "priority": priority,
            "summary": "Fix the thing",
            "estimated_minutes": minutes,
            "window_start": window[0] if window else None,
            "window_end": window[1] if window else None,
            "sla_policy": policy,
            "billing_reference": "",
            "notes": "",
        },
        required_skills=[SkillRequirement(skill=s, min_level=level) for s, level in skills],
        received_at=received_at or timezone.now() - timedelta(minutes=5),
    )
