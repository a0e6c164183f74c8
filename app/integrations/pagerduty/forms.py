"""Forms of the PagerDuty integration. Token checks need PagerDuty, so they live in link.py."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from app.forms import VigilForm

REGION_CHOICES = [
    SelectChoice("", "Detect (try US, then EU)"),
    SelectChoice("us", "US (app.pagerduty.com)"),
    SelectChoice("eu", "EU (app.eu.pagerduty.com)"),
]


class TokenForm(VigilForm):
    # A password field: the token is never sent back to the browser, not even after an error.
    token = PasswordField("User API token", validators=[Optional(), Length(max=200)])
    region = SelectField("Service region", choices=REGION_CHOICES, default="")


class OAuthStartForm(VigilForm):
    # No defaults: an unticked box must mean "no" even when nothing else is posted (the page ticks both).
    alert_delivery = BooleanField("Allow Vigil to page PagerDuty (incidents.write)")
    realtime = BooleanField("Near-real-time sync (webhook_subscriptions.write)")


class SelectionForm(VigilForm):
    selected = HiddenField(validators=[AnyOf(["0", "1"], message="Choose select or deselect.")])
    q = StringField(validators=[Optional(), Length(max=100)])


class UnlinkForm(VigilForm):
    synced_data = RadioField(
        "Synced data",
        choices=[
            SelectChoice("keep", "Keep the synced data"),
            SelectChoice("delete", "Delete the synced data"),
        ],
        validators=[DataRequired(message="Choose whether to keep or delete the synced data.")],
    )


class HistoryForm(VigilForm):
    # The bounds live in history.py (the CLI checks the same ones); the form only parses the number.
    history_days = IntegerField(
        "History to fetch (days)",
        validators=[InputRequired(message="Enter the number of days of history to fetch.")],
    )
