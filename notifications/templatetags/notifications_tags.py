"""`{% work_order_texts work_order %}`: the conversation section of a work order page.

A tag rather than a view context value: the work-order view lives in `workorders`,
which may not import `notifications`.
"""

from django import template

from notifications.selectors import work_order_conversation

register = template.Library()


@register.inclusion_tag("notifications/_work_order_texts.html", takes_context=True)
def work_order_texts(context, work_order) -> dict:
    return {
        "work_order": work_order,
        "conversation": work_order_conversation(work_order),
        "csrf_token": context.get("csrf_token"),
    }
