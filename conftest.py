"""Fixtures every test in the repository can use (see shared/testing.py)."""

pytest_plugins = ["shared.pytest_plugin"]
