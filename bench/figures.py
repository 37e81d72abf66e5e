"""Figures as bench/results.json holds them, and the one table `make bench` prints.

A section ("lookups", "scale", ... and bench/slack.py's "acks") is

    {"measured": ISO time, "about": how it was measured, "pass": every target met,
     "figures": {name: {"value", "peer", "target", "pass", and optionally "label", "unit",
                        "peer_is"}}}

`peer` is the figure it is measured beside in the same run (the naive path, the previous
size, bare Bolt), `target` a sentence or None, `pass` True/False or None when there is no
target. Each writer replaces only its own keys in the file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["RESULTS", "figure", "print_table", "section", "write_sections"]

RESULTS = Path(__file__).resolve().parent / "results.json"

Figure = dict[str, Any]


def figure(
    label: str,
    value: float | int | None,
    *,
    peer: float | int | str | None = None,
    peer_is: str | None = None,
    target: str | None = None,
    passed: bool | None = None,
    unit: str = "",
) -> Figure:
    return {
        "label": label,
        "value": value,
        "unit": unit,
        "peer": peer,
        "peer_is": peer_is,
        "target": target,
        "pass": passed,
    }


def section(about: str, figures: dict[str, Figure], **extra: Any) -> dict[str, Any]:
    verdicts = [f["pass"] for f in figures.values() if f["pass"] is not None]
    return {
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "about": about,
        **extra,
        "figures": figures,
        "pass": all(verdicts),
    }


def write_sections(sections: dict[str, Any], path: Path = RESULTS) -> None:
    """Replace `sections`' keys in `path` (other keys kept), atomically."""
    try:
        existing = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        existing = {}
    if not isinstance(existing, dict):
        existing = {}
    existing.update(sections)
    partial = path.with_suffix(".json.part")
    partial.write_text(json.dumps(existing, indent=2) + "\n", "utf-8")
    partial.replace(path)


def _text(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{value}{unit}"


def rows(name: str, body: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """One table row per figure of a section: figure, value, peer, target, result."""
    out = []
    for key, f in body.get("figures", {}).items():
        unit = f.get("unit", "")
        peer = _text(f.get("peer"), unit if isinstance(f.get("peer"), int | float) else "")
        if f.get("peer_is"):
            peer = f"{peer} {f['peer_is']}"
        verdict = {True: "PASS", False: "FAIL", None: ""}[f.get("pass")]
        label = f.get("label") or f"{name} {key}"
        out.append((label, _text(f.get("value"), unit), peer, f.get("target") or "", verdict))
    return out


def print_table(results: dict[str, Any], order: list[str]) -> None:
    """Every figure of the sections in `order` (those present), in one table."""
    table = [("figure", "value", "peer (same run)", "target", "")]
    for name in order:
        if name in results:
            table.append((f"[{name}]", "", "", "", ""))
            table.extend(rows(name, results[name]))
    widths = [min(50, max(len(r[i]) for r in table)) for i in range(5)]
    for r in table:
        cells = [r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].ljust(widths[2])]
        print("  ".join([*cells, r[3].ljust(widths[3]), r[4]]).rstrip())
