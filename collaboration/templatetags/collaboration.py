"""Comment threads on any commentable page, and @mentions shown as names."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, linebreaks
from django.utils.safestring import mark_safe

from collaboration import comments
from collaboration.forms import CommentForm
from collaboration.registry import comment_target_of

register = template.Library()


@register.filter(needs_autoescape=True)
def with_mentions(text: str, autoescape: bool = True) -> str:
    """The comment as paragraphs, with each @name marked (the text is escaped first)."""
    escaped = conditional_escape(text) if autoescape else text
    marked = comments.MENTION.sub(r'<span class="mention">@\1</span>', str(escaped))
    return mark_safe(linebreaks(marked, autoescape=False))


@register.inclusion_tag("collaboration/_comments.html", takes_context=True)
def comment_thread(context, target):
    """The thread of ``target`` with the form to add to it (two queries)."""
    kind = comment_target_of(target)
    thread = list(comments.comments_for(target))
    form = CommentForm()
    form.mention_example_set(
        comments.mention_example(thread, reader=getattr(context.get("request"), "user", None))
    )
    return {
        "target": target,
        "target_kind": kind,
        "comments": thread,
        "comment_form": form,
        "perms": context.get("perms"),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
