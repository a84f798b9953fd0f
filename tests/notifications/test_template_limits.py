"""A template is limited by its worst case after expansion, in SMS segments (issue 25,
finding 6), and the editor says so."""

import pytest
from django.urls import reverse

from notifications import texts
from notifications.models import Kind, MessageTemplate, TrackingLink
from technicians.roles import Role
from tests.factories import CustomerFactory, SiteFactory, TechnicianFactory, make_work_order

pytestmark = pytest.mark.django_db

LINKS = "{link}" * (texts.MAX_TEMPLATE_CHARS // len("{link}"))  # the probe's template


def test_the_probes_template_of_links_is_refused_in_the_editor(client, user_with_role):
    client.force_login(user_with_role(Role.OFFICE))
    response = client.post(
        reverse("message_template_edit", args=["dispatched"]), {"body": LINKS, "enabled": "on"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field="body"' in page
    assert "At its longest (every placeholder at its longest value) this text takes" in page
    assert f"at most {texts.MAX_TEMPLATE_SEGMENTS}" in page
    assert not MessageTemplate.objects.exists()


def test_every_default_fits_the_limit_at_its_longest():
    for kind, body in texts.DEFAULTS.items():
        texts.validate_template(body)  # raises when over
        assert texts.worst_case_count(body).segments <= texts.MAX_TEMPLATE_SEGMENTS, kind


def test_names_outside_gsm7_count_in_the_worst_case():
    """A template short in GSM-7 can still be long once a name makes it UCS-2."""
    body = "{customer} {technician} {summary} " + "x" * 150
    assert texts.segment_count(texts.render(body, texts.sample_values())).segments == 2
    worst = texts.worst_case_count(body)
    assert worst.encoding == "UCS-2" and worst.segments == 4
    with pytest.raises(texts.TemplateError, match="takes 5 SMS segments"):
        texts.validate_template(body + "x" * 50)


def test_a_real_text_never_outgrows_its_templates_worst_case(settings):
    customer = CustomerFactory(name="🙂" * 150 + " Lee")
    work_order = make_work_order(site=SiteFactory(customer=customer))
    work_order.summary = "€" * 200
    technician = TechnicianFactory(display_name="Ж" * 100)
    link = TrackingLink.objects.create(work_order=work_order, token="t" * 64)
    values = texts.placeholder_values(work_order, technician=technician, link=link)
    assert len(values["customer"].encode("utf-16-le")) // 2 <= 20  # emoji take two units
    assert values["technician"] == "Ж" * 20 and values["summary"] == "€" * 60
    for kind in Kind.values:
        body = texts.DEFAULTS[kind] + " {customer} {summary} {customer}"
        rendered = texts.render(body, values)
        assert texts.segment_count(rendered).segments <= texts.worst_case_count(body).segments, kind


def test_the_editor_states_the_limit_and_the_preview_the_worst_case(client, user_with_role):
    client.force_login(user_with_role(Role.OFFICE))
    page = client.get(reverse("message_template_edit", args=["dispatched"])).content.decode()
    assert (
        f"A text may take at most {texts.MAX_TEMPLATE_SEGMENTS} SMS segments at its longest" in page
    )
    preview = client.post(
        reverse("message_template_preview", args=["dispatched"]), {"body": "Hi {customer}"}
    ).content.decode()
    assert "1 segment" in preview  # the sample
    assert "At its longest: <strong>1 segment</strong> (UCS-2" in preview
