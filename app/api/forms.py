"""The API keys settings form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class ApiKeyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message="Give the key a name."), Length(max=80)])
