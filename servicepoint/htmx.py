"""The small htmx helper the faces share (in the spirit of django-htmx / flask-htmx).

Views branch only on the ``HX-Request`` header; a page renders its partials, and
the same view answers an htmx request with the partial alone.
"""
from __future__ import annotations

from flask import make_response, render_template, request


def is_htmx() -> bool:
    """True when htmx made this request (``HX-Request: true``)."""
    return request.headers.get("HX-Request") == "true"


def no_store(body, status: int = 200, **headers):
    """A response that is never cached and varies on ``HX-Request``.

    Live screens carry CSRF tokens and data that is stale a second later; a cache
    must also never hand a full page to htmx or a fragment to a browser.
    """
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "HX-Request"
    response.headers.update(headers)
    return response


def render(page: str, partial: str, status: int = 200, **context):
    """The whole ``page``, or only ``partial`` when htmx asks; never cached."""
    return no_store(render_template(partial if is_htmx() else page, **context), status)

