"""Clients whose every request runs in an app context of its own, as each request does in production.

The suite's `app` fixture keeps one app context open for the whole test, and Flask reuses it for test-client
requests, so `g` (where Flask-Login caches the signed-in user) would carry one request's user into the next
and make sign-out tests pass whatever the cookies say.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse


class FreshContextClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        # An empty contextvars context has no app context, so the request pushes (and pops) its own.
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def fresh_client(app: Flask) -> Callable[[], FlaskClient]:
    return lambda: FreshContextClient(app, app.response_class, use_cookies=True)
