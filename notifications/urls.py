from django.urls import path, re_path

from notifications import views

urlpatterns = [
    path("messages/", views.message_list, name="message_list"),
    path("messages/templates/", views.message_templates, name="message_templates"),
    path(
        "messages/templates/<slug:kind>/",
        views.message_template_edit,
        name="message_template_edit",
    ),
    path(
        "messages/templates/<slug:kind>/preview/",
        views.message_template_preview,
        name="message_template_preview",
    ),
    path("messages/sandbox/", views.sms_sandbox, name="sms_sandbox"),
    path("messages/sandbox/<int:pk>/reply/", views.sms_sandbox_reply, name="sms_sandbox_reply"),
    path(
        "work-orders/<int:pk>/texts/read/",
        views.work_order_texts_read,
        name="work_order_texts_read",
    ),
    path("sms/inbound/", views.sms_inbound, name="sms_inbound"),
    path("sms/status/", views.sms_status, name="sms_status"),
    path("t/<str:token>/", views.tracking_page, name="tracking_page"),
    path("t/<str:token>/status.json", views.tracking_status, name="tracking_status"),
    path("t/<str:token>/photo", views.tracking_photo, name="tracking_photo"),
    # A link mangled on its way (cut, pasted with more behind it): the same page as a
    # bad token. "/t/<token>" without its slash still gets APPEND_SLASH's redirect.
    re_path(r"^t/[^/]+/.+$", views.tracking_link_gone, name="tracking_link_gone"),
]
