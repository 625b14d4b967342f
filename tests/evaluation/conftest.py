"""Every evaluation test works against the migrated database, inside the app context."""
import pytest


@pytest.fixture(autouse=True)
def _app_context(app):
    return app
