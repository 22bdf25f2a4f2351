"""The Dockerfile's build steps, run as a script in a scratch folder: the wheel holds each
service with its migrations and the platform's alembic environment, and a service migrates
from the installed package alone (outside the source tree)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scratch = tmp_path_factory.mktemp("image")
    wheels, site, source = scratch / "wheels", scratch / "site", scratch / "src"
    # COPY: only the sources, like the Dockerfile (no local build/, .venv or data/)
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "build",
            "data",
            "reports",
            "*.egg-info",
            "__pycache__",
            ".*_cache",
            "node_modules",
        ),
    )
    # builder stage: pip wheel .   (dependencies come from the dev venv here, not rebuilt)
    pip = [sys.executable, "-m", "pip", "--quiet"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--wheel-dir", str(wheels), str(source)],
        check=True,
        capture_output=True,
    )
    # runtime stage: pip install --no-index --find-links /wheels aftersales
    subprocess.run(
        [
            *pip,
            "install",
            "--no-deps",
            "--no-index",
            "--find-links",
            str(wheels),
            "--target",
            str(site),
            "aftersales",
        ],
        check=True,
        capture_output=True,
    )
    return site


def run_installed(site: Path, code: str, cwd: Path, **env: str) -> str:
    deps = sysconfig.get_paths()["purelib"]
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{deps}", **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("service", ["reception", "workshop", "parts", "warranty", "crm"])
def test_a_service_migrates_from_its_installed_package(
    installed: Path, tmp_path: Path, service: str
) -> None:
    out = run_installed(
        installed,
        f"from services.{service}.app import definition;"
        f"assert str(definition.migrations).startswith('{installed}'), definition.migrations;"
        f"from shared.cli import main; main(['migrate', '{service}'])",
        cwd=tmp_path,
        DATA_DIR=str(tmp_path),
    )
    assert f"{service}: database at the newest schema" in out
    assert (tmp_path / f"{service}.db").exists()
