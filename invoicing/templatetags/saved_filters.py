"""``{% saved_filters_for "proposals" as saved %}``: the user's saved filters of a list and the
filter the page shows now (one query)."""

from django import template

from invoicing.saved_filters import filter_query, saved_filters_of

register = template.Library()


@register.simple_tag(takes_context=True)
def saved_filters_for(context, list_name: str) -> dict:
    request = context["request"]
    current = filter_query(_pairs(request.GET))
    saved = saved_filters_of(user=request.user, list_name=list_name)
    return {
        "list_name": list_name,
        "filters": saved,
        "current": current,
        "active": next((item for item in saved if item.query == current), None),
    }


def _pairs(query_dict):
    return [(key, value) for key, values in query_dict.lists() for value in values]
