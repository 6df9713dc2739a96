"""Layering: nothing outside app/ui/ may import Qt (the core runs headless, in the CLI and
in tests), and the domain stays pure."""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

from helpers.factories import PYTHON, REPO, subprocess_env

APP = REPO / "app"
QT_PACKAGES = ("PySide6", "shiboken6", "PyQt5", "PyQt6")
# Modules that cannot be imported on their own: they run something when imported.
NOT_IMPORTABLE = {"app.__main__", "app.store.migrations.env"}


def core_files() -> list[Path]:
    return sorted(p for p in APP.rglob("*.py") if "ui" not in p.relative_to(APP).parts[:1])


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(source: str) -> list[str]:
    """Every module named by an import statement, or by a string handed to an import function."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Call):
            func = node.func
            func_name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if func_name in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names.append(arg.value)
    return names


def qt_imports(source: str) -> list[str]:
    return [n for n in imported_names(source) if n.split(".")[0] in QT_PACKAGES]


def test_scanner_recognises_qt_imports():
    """Control: the scan below is able to fail."""
    assert qt_imports("import PySide6") == ["PySide6"]
    assert qt_imports("from PySide6.QtWidgets import QWidget") == ["PySide6.QtWidgets"]
    assert qt_imports("def f():\n    import PySide6.QtCore as qc\n") == ["PySide6.QtCore"]
    assert qt_imports("import importlib\nimportlib.import_module('PySide6.QtGui')") == ["PySide6.QtGui"]
    assert qt_imports("from app.ui.main import run_gui\nimport json") == []


def test_no_module_outside_ui_imports_qt():
    files = core_files()
    assert APP / "domain" / "validation.py" in files and APP / "cli.py" in files
    offenders = {str(p.relative_to(REPO)): qt_imports(p.read_text()) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_every_core_module_loads_no_qt():
    """Fresh interpreter: import each core module and report the first one after which Qt is loaded."""
    modules = [module_name(p) for p in core_files() if module_name(p) not in NOT_IMPORTABLE]
    assert "app.services.stores" in modules and "app.store.migrations.versions.0002_drafts" in modules
    script = (
        "import importlib, json, sys\n"
        f"modules = {modules!r}\n"
        "qt = ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6')\n"
        "result = {'imported': [], 'qt_after': None}\n"
        "for name in modules:\n"
        "    importlib.import_module(name)\n"
        "    result['imported'].append(name)\n"
        "    if any(m.split('.')[0] in qt for m in sys.modules):\n"
        "        result['qt_after'] = name\n"
        "        break\n"
        "print(json.dumps(result))\n"
    )
    done = subprocess.run([PYTHON, "-c", script], cwd=REPO, env=subprocess_env(REPO / "unused"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["qt_after"] is None, f"{result['qt_after']} loads Qt"
    assert result["imported"] == modules


def test_domain_depends_on_nothing_but_itself_and_i18n():
    allowed_app = ("app.domain", "app.i18n")
    for path in sorted((APP / "domain").rglob("*.py")):
        for name in imported_names(path.read_text()):
            if name.split(".")[0] == "app":
                assert name.startswith(allowed_app), f"{path.name} imports {name}"
            assert name.split(".")[0] not in ("sqlalchemy", "sqlcipher3", "alembic", *QT_PACKAGES), (
                f"{path.name} imports {name}")


def test_store_does_not_depend_on_services_or_ui():
    for path in sorted((APP / "store").rglob("*.py")):
        for name in imported_names(path.read_text()):
            assert not name.startswith(("app.services", "app.ui", "app.cli")), f"{path.name} imports {name}"


def test_first_window_and_version_do_not_wait_for_the_store_modules():
    """SQLAlchemy and Alembic take about half a second to import: the GUI's first window and
    `mediatorlog --version` must not pay for them (a worker preloads them after the window shows).
    Import heavy service modules inside the functions that need them, or under TYPE_CHECKING."""
    script = (
        "import json, sys\n"
        "import app.cli, app.ui.main, app.ui.main_window\n"
        "heavy = ('sqlalchemy', 'alembic', 'app.services.journal', 'app.store.engine')\n"
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    env = {**subprocess_env(REPO / "unused"), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([PYTHON, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
