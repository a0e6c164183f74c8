"""Forms of the accounts feature. Validation that needs the database lives in workspaces.py."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import VigilForm, WholeNumberField, email_address
from app.models import Role

ROLE_CHOICES = [SelectChoice(role.value, role.value.capitalize()) for role in Role]
WEEKDAYS = [
    SelectChoice(str(n), day) for n, day in enumerate(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], 1)
]


def _hour_between(low: int, high: int) -> list[Any]:
    return [
        InputRequired(message="Enter an hour."),
        NumberRange(low, high, message=f"Enter an hour from {low} to {high}."),
    ]


class PostForm(VigilForm):
    """A button that only needs CSRF protection."""


class SignupForm(VigilForm):
    name = StringField("Your name", validators=[Optional(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10, max=200)])
    workspace = StringField("Workspace name", validators=[Optional(), Length(max=80)])
    timezone = StringField("Time zone", default="UTC", validators=[Optional(), Length(max=64)])


class LoginForm(VigilForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me logged in")


class PasswordChangeForm(VigilForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("new", message="The passwords differ.")]
    )


class ProfileForm(VigilForm):
    name = StringField("Your name", validators=[Optional(), Length(max=120)])


class InviteForm(VigilForm):
    email = EmailField(
        "Email (optional: limits the link to this address)", validators=[Optional(), email_address]
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.MEMBER.value)


class RoleForm(VigilForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class NewWorkspaceForm(VigilForm):
    name = StringField("Workspace name", validators=[DataRequired(), Length(max=80)])
    timezone = StringField("Time zone", default="UTC", validators=[DataRequired(), Length(max=64)])


class WorkspaceSettingsForm(VigilForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    timezone = StringField("Time zone", validators=[DataRequired(), Length(max=64)])
    business_day_start = WholeNumberField("Business day starts (hour)", validators=_hour_between(0, 23))
    # 24 means "until midnight": interruptions are classed by whole local hours 0-23, so hour < 24 is the
    # whole of the day's last hour.
    business_day_end = WholeNumberField("Business day ends (hour)", validators=_hour_between(1, 24))
    business_days = SelectMultipleField(
        "Business days",
        choices=WEEKDAYS,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[InputRequired(message="Pick at least one business day.")],
    )
    cfr_attribution_hours = WholeNumberField(
        "Change failure attribution window (hours)",
        validators=[
            InputRequired(message="Enter a number of hours."),
            NumberRange(1, 24 * 14, message=f"Enter between 1 and {24 * 14} hours."),
        ],
    )


class ApiKeyForm(VigilForm):
    name = StringField("Name", validators=[DataRequired(message="Give the key a name."), Length(max=80)])
