"""Forms of the accounts feature. Validation that needs the database lives in service.py."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.models import Role

COMMON_TIMEZONES = [
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Amsterdam",
    "Africa/Johannesburg",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
]
ROLE_CHOICES = [SelectChoice(role.value, role.value.capitalize()) for role in Role]
WEEKDAYS = [
    SelectChoice(str(n), day) for n, day in enumerate(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], 1)
]


class PostForm(FlaskForm):
    """A button that only needs CSRF protection."""


class SignupForm(FlaskForm):
    name = StringField("Your name", validators=[Optional(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10, max=200)])
    workspace = StringField("Workspace name", validators=[Optional(), Length(max=80)])
    timezone = StringField("Time zone", default="UTC", validators=[Optional(), Length(max=64)])


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me logged in")


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("new", message="The passwords differ.")]
    )


class ProfileForm(FlaskForm):
    name = StringField("Your name", validators=[Optional(), Length(max=120)])


class InviteForm(FlaskForm):
    email = EmailField(
        "Email (optional: limits the link to this address)", validators=[Optional(), Length(max=254)]
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.MEMBER.value)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class NewWorkspaceForm(FlaskForm):
    name = StringField("Workspace name", validators=[DataRequired(), Length(max=80)])
    timezone = StringField("Time zone", default="UTC", validators=[DataRequired(), Length(max=64)])


class WorkspaceSettingsForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    timezone = StringField("Time zone", validators=[DataRequired(), Length(max=64)])
    business_day_start = IntegerField("Business day starts (hour)", validators=[NumberRange(0, 23)])
    business_day_end = IntegerField("Business day ends (hour)", validators=[NumberRange(1, 24)])
    business_days = SelectMultipleField(
        "Business days",
        choices=WEEKDAYS,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    cfr_attribution_hours = IntegerField(
        "Change failure attribution window (hours)", validators=[NumberRange(1, 24 * 14)]
    )
