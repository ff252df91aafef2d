"""Imports point one way: the apps that build on subscribers (onboarding, the
number pool, features) import it, never the reverse, and the workflows above them
compose them. Doors (views, API routes, commands, template tags) may compose
any app, so they are not counted."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lowest first: an app's domain modules import only the apps before it here.
LAYERS = ["subscribers", "onboarding", "numberpool", "features", "workflows"]
# Below every one of them: who acts, for which partner, and the audit trail. (The
# event outbox sits above them all: it reads every app to describe a change.)
FOUNDATION = {"partners", "audit"}
# The project's own modules (pagination, timezones, validation…) are not apps.
APPS = {path.parent.name for path in ROOT.glob("*/apps.py")} | set(LAYERS)
DOORS = re.compile(
    r"(^|/)(views|api|[a-z_]+_api|[a-z_]+_views|forms|add_flow|[a-z_]+_commands|urls)"
    r"\.py$|/(management|templatetags|tests|migrations)/"
)


def app_imports(app: str) -> dict[str, set[str]]:
    """The csrtool apps each domain module of `app` imports (at any depth)."""
    found = {}
    for path in (ROOT / app).rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if DOORS.search(relative):
            continue
        apps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "csrtool" and len(parts) > 1 and parts[1] != app:
                    if parts[1] not in APPS:
                        continue
                    apps.add(parts[1])
        found[relative] = apps
    return found


def test_each_app_imports_only_the_apps_below_it():
    wrong = []
    for level, app in enumerate(LAYERS):
        allowed = FOUNDATION | set(LAYERS[:level])
        above = set(LAYERS[level + 1 :])
        for module, apps in app_imports(app).items():
            wrong += [f"{module} imports {other}" for other in sorted(apps & above)]
            assert apps & set(LAYERS) <= allowed | above  # known apps only
    assert wrong == []


def test_the_audit_trail_imports_no_app():
    """Every app writes audit rows, so the audit app imports none of them (its
    partner column names the model by its label)."""
    for module, apps in app_imports("audit").items():
        assert apps == set(), module


def test_the_foundation_imports_nothing_above_it():
    """Staff sign-in and caller checks share the portal's rate limiter; it lives
    below them all (csrtool/throttle.py, its counters in partners)."""
    above = set(LAYERS) | {"portal", "webhooks", "api", "events"}
    for foundation in FOUNDATION:
        for module, apps in app_imports(foundation).items():
            assert not apps & above, module


def test_subscribers_imports_only_the_foundation():
    for module, apps in app_imports("subscribers").items():
        assert apps <= FOUNDATION, module
