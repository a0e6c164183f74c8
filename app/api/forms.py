"""The API keys settings form."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.forms import VigilForm


class ApiKeyForm(VigilForm):
    name = StringField("Name", validators=[DataRequired(message="Give the key a name."), Length(max=80)])
