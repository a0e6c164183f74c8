"""The base of every Flask-WTF form in Vigil (VigilForm, not FlaskForm): the input rules of app/inputs.py
applied to every field, so no text field can forget the character rules."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, Form, IntegerField
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation

from app.inputs import email_problem, parse_int, text_problem

WHOLE_NUMBER_MESSAGE = "Enter a whole number."
EMAIL_MESSAGE = "Enter an e-mail address like name@example.com (at most 254 characters)."


def refuse_bad_text(form: Form, field: Field) -> None:
    """Field validator: NUL, control characters and lone surrogates are refused with the field's name."""
    if field.process_errors:
        # The value could not even be read (e.g. "abc" in an integer field): its one message is already
        # there, and the other validators (a range, a required check) would only repeat it in other words.
        raise StopValidation()
    values = field.data if isinstance(field.data, list | tuple) else [field.data]
    for value in values:
        if isinstance(value, str) and (problem := text_problem(value)) is not None:
            raise StopValidation(f"{field.label.text} {problem}")


def email_address(form: Form, field: Field) -> None:
    """Field validator for an optional e-mail field (pair it with Optional())."""
    if isinstance(field.data, str) and email_problem(field.data.strip()) is not None:
        raise StopValidation(EMAIL_MESSAGE)


class VigilForm(FlaskForm):
    class Meta(DefaultMeta):
        def bind_field(self, form: Form, unbound_field: Any, options: dict[str, Any]) -> Field:
            field = super().bind_field(form, unbound_field, options)
            field.validators = [refuse_bad_text, *field.validators]
            return field


class WholeNumberField(IntegerField):
    """An integer field that reads ASCII digits only (`int()` takes "١٢" and "1_000", and raises on 5,000
    digits), with one plain message when the value is not a number."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        blank = raw is None or (isinstance(raw, str) and not raw.strip())
        self.data = None if blank else parse_int(str(raw))
        if self.data is None and not blank:
            raise ValueError(WHOLE_NUMBER_MESSAGE)
