"""The house rules that keep the design easy to see, checked on the code itself (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
SOURCES = sorted(BOT.rglob("*.py"))


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


class TestLayout:
    def test_the_sources_are_found(self) -> None:
        """The checks below read the real package (a wrong path would pass vacuously)."""
        assert len(SOURCES) > 30
        assert BOT / "app.py" in SOURCES

    @pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(BOT)))
    def test_no_module_over_400_lines(self, path: Path) -> None:
        """Each module has one job and stays small enough to read in one sitting."""
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_FILE_LINES, f"{path.name}: {lines} lines"

    @pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(BOT)))
    def test_no_function_over_60_lines(self, path: Path) -> None:
        """No function (docstring included) runs past 60 lines."""
        tree = ast.parse(path.read_text(encoding="utf-8"))
        long = [
            f"{f.name} ({f.end_lineno - f.lineno + 1} lines)"
            for f in _functions(tree)
            if f.end_lineno is not None and f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES
        ]
        assert not long, f"{path.name}: {', '.join(long)}"

    @pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(BOT)))
    def test_every_module_says_what_it_is(self, path: Path) -> None:
        """Every module, package markers included, opens with a docstring."""
        assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), path
