"""Every label exists in Chinese and English, and every label a template asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

from services.console.i18n import LABELS, label, translate

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
PAGES = Path(__file__).resolve().parents[1] / "pages"


def test_every_label_has_both_languages() -> None:
    missing = [key for key, (zh, en) in LABELS.items() if not zh.strip() or not en.strip()]
    assert missing == []


def test_every_literal_label_key_in_templates_and_pages_exists() -> None:
    pattern = re.compile(r"""\bt\(\s*['"]([a-z_]+\.[a-z0-9_.]+)['"]""")
    used = set()
    for path in [*TEMPLATES.rglob("*.html"), *PAGES.rglob("*.py")]:
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    for path in PAGES.rglob("*.py"):
        used |= set(re.findall(r"""add_flash\(\s*['"]([a-z_.]+)['"]""", path.read_text()))
    assert used, "the pattern found no label at all"
    assert sorted(used - LABELS.keys()) == []


def test_chinese_is_the_default_and_unknown_values_show_as_they_are() -> None:
    assert translate("login.title") == "登录"
    assert translate("login.title", "en") == "Sign in"
    assert label("order_status", "open", "zh") == "在修"
    assert label("order_status", "on_hold", "zh") == "on_hold"


def test_every_template_compiles() -> None:
    from services.console.settings import ConsoleSettings
    from services.console.web import make_environment

    env = make_environment(ConsoleSettings())
    names = [str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")]
    for name in names:
        env.get_template(name)  # raises on a syntax error or a block defined twice
    assert len(names) > 15
