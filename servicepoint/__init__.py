"""ServicePoint: self-service kiosk and queue management for a branch office.

``create_app(test_config=None)`` builds the Flask application (see :mod:`servicepoint.app`).
It is loaded lazily so that importing the pure domain does not pull in Flask.
"""

__version__ = "0.1.0"


def __getattr__(name):
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
