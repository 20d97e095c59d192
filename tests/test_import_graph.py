"""Apps import downward only: api and public above reviews above claims; public reads api, never the
reverse (STYLE.md, rule 11).

Every import counts, also those inside functions: a lazy import is still a dependency.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("claims", "reviews", "api", "public", "webhooks", "tracker")
# importer package -> packages it must not import
FORBIDDEN = {
    "claims": {"reviews", "api", "public"},
    "reviews": {"api", "public"},
    "api": {"public"},
    "webhooks": {"api", "public"},
    "tracker": {"api", "public"},
}
# The one module outside api/ that mounts it.
API_IMPORTERS = {"tracker/urls.py"}


def imported_modules(source: str, module: str) -> set[str]:
    """Absolute names of every module `source` imports (relative imports resolved against `module`)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: -node.level]
                names.add(".".join([*base, node.module] if node.module else base))
            else:
                names.add(node.module)
    return names


def violations(root: Path) -> list[str]:
    """`path imports module` for every import that goes against the layering."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            module = relative.removesuffix(".py").replace("/", ".")
            forbidden = set(FORBIDDEN.get(package, ()))
            if relative in API_IMPORTERS:
                forbidden.discard("api")
            for name in imported_modules(path.read_text(encoding="utf-8"), module):
                if name.split(".")[0] in forbidden:
                    found.append(f"{relative} imports {name}")
    return found


def test_apps_import_downward_only():
    assert violations(ROOT) == []


def test_the_checker_finds_planted_imports_at_any_depth(tmp_path):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "claims" / "services.py").write_text("def f():\n    from reviews.models import Review\n")
    (tmp_path / "claims" / "admin.py").write_text("from ..api import feed\n")
    (tmp_path / "reviews" / "admin.py").write_text("import api.urls\nfrom claims.models import Claim\n")
    (tmp_path / "tracker" / "settings.py").write_text("from api.base import dumps\n")
    (tmp_path / "tracker" / "urls.py").write_text("from api import urls\n")
    assert sorted(violations(tmp_path)) == [
        "claims/admin.py imports api",
        "claims/services.py imports reviews.models",
        "reviews/admin.py imports api.urls",
        "tracker/settings.py imports api.base",
    ]
