"""The whole stack for the console's browser tests: broker, the five services (the same
runner as ``make up``), the console as its own process, and headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from deploy.run import ROOT, SERVICES, Stack
from shared.broker import free_port

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


@pytest.fixture(scope="session")
def console_stack(
    tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str
) -> Iterator[Stack]:
    """Broker and five services with demo data, on free ports."""
    running = Stack(
        data_dir=tmp_path_factory.mktemp("console-stack"),
        ports={name: free_port() for name in SERVICES},
        bootstrap=kafka_bootstrap,
        partitions=3,
        # CLOCK_CONTROL: a test can let a day pass at CRM (the follow-up call opens next day)
        extra_env={"RELAY_POLL_SECONDS": "0.05", "LOG_LEVEL": "WARNING", "CLOCK_CONTROL": "true"},
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def console_url(console_stack: Stack) -> Iterator[str]:
    """The console as a process, pointed at the stack's services."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CONSOLE_PORT": str(port),
        "LIVE_REFRESH_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
        **{f"{name.upper()}_URL": console_stack.url(name) for name in SERVICES},
    }
    log_path = console_stack.data_dir / "logs" / "console.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.console"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"console exited with {process.returncode}; see {log_path}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"console not up after 30 s; see {log_path}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
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
