"""The client page's heading and contact details, written in Python (`clinic/client_page.py`)."""

from django import template
from django.utils.safestring import SafeString

from clinic.client_page import client_contact as contact_html
from clinic.client_page import client_heading as heading_html
from clinic.markup import csrf_input

register = template.Library()


@register.simple_tag(takes_context=True)
def client_heading(context, client) -> SafeString:
    return heading_html(context["request"], client, csrf_input(context.get("csrf_token")))


@register.simple_tag
def client_contact(client) -> SafeString:
    return contact_html(client)
