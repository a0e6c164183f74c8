"""Every web form in Vigil applies the input rules: no form class may bypass VigilForm."""

from __future__ import annotations

from flask import Flask
from flask_wtf import FlaskForm

from app.forms import VigilForm


def all_subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *all_subclasses(sub)}
    return found


def test_it_builds_every_form_on_vigil_form(app: Flask) -> None:
    # create_app registered every blueprint, so every form module of the app is imported by now.
    forms = {cls for cls in all_subclasses(FlaskForm) if cls.__module__.startswith("app.")}
    assert len(forms) > 10
    assert sorted(f"{cls.__module__}.{cls.__name__}" for cls in forms if not issubclass(cls, VigilForm)) == []
