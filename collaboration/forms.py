"""Forms of the collaboration pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class _BootstrapForm(forms.Form):
    """Bootstrap classes on every widget, and the invalid state on fields with errors (as
    ``contracts.forms.BootstrapFormMixin`` does; collaboration cannot import contracts)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._apply_bootstrap()

    def _apply_bootstrap(self) -> None:
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if self.is_bound and name in self.errors:
                css += " is-invalid"
            widget.attrs["class"] = css

    def full_clean(self):
        super().full_clean()
        self._apply_bootstrap()


class CommentForm(_BootstrapForm):
    body = forms.CharField(
        label=_("Comment"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Write @ and a user name to notify someone."),
    )

    def mention_example_set(self, example: str) -> None:
        """Name someone the writer could mention in the help (a real user: the help once
        suggested a made-up @karin, which the form then refused)."""
        if example:
            self.fields["body"].help_text = _(
                "Write @ and a user name to notify someone, for example @%(username)s."
            ) % {"username": example}


class NotificationSettingsForm(_BootstrapForm):
    email_enabled = forms.BooleanField(
        label=_("Also send my notifications by e-mail"), required=False
    )
    language = forms.ChoiceField(label=_("Language of the e-mails"), choices=settings.LANGUAGES)
