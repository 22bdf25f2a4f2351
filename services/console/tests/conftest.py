"""The whole stack for the console's browser tests: broker, the five services (the same
runner as ``make up``), the console as its own process, and headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from deploy.run import ROOT, SERVICES, Stack
from shared.broker import free_port, kafka_for_tests

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "reports" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: end-to-end test in headless Chromium")


# Module scope, not session: Playwright's sync API keeps an event loop running in this
# thread while it is open, which would break every async test collected after this module.
@pytest.fixture(scope="module")
def console_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Broker, five services with demo data and the console, on free ports (`make up`'s
    runner)."""
    with kafka_for_tests() as bootstrap:  # its own broker: no other test's events
        yield from _console_stack(tmp_path_factory, bootstrap)


def _console_stack(tmp_path_factory: pytest.TempPathFactory, bootstrap: str) -> Iterator[Stack]:
    running = Stack(
        data_dir=tmp_path_factory.mktemp("console-stack"),
        ports={name: free_port() for name in SERVICES},
        bootstrap=bootstrap,
        partitions=3,
        console_port=free_port(),
        # CLOCK_CONTROL: a test can let a day pass at CRM (the follow-up call opens next day)
        extra_env={
            "RELAY_POLL_SECONDS": "0.05",
            "LOG_LEVEL": "WARNING",
            "CLOCK_CONTROL": "true",
            "LIVE_REFRESH_SECONDS": "1",
            # own consumer groups: the e2e stack of this test run shares the broker
            "KAFKA_GROUP_PREFIX": "console-",
        },
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def console_url(console_stack: Stack) -> str:
    """The console, started by the stack after the services."""
    return console_stack.url("console")


@pytest.fixture(scope="module")
def browser(console_url: str) -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser).

    Started after the stack: Playwright's sync API keeps an event loop running in this
    thread, and the stack's start-up needs ``asyncio.run``."""
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
