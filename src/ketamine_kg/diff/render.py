"""What ``ketamine-kg diff`` prints: text for a terminal, Markdown for CHANGELOG.md, or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from ketamine_kg.diff.compare import KINDS, EntityChange, GraphDiff, KindDiff, diff_snapshots
from ketamine_kg.diff.snapshot import Snapshot, Term, load_snapshot
from ketamine_kg.diff.snapshot import short as _short
from ketamine_kg.errors import UsageError

__all__ = ["render"]


def _value_json(term: Term, snapshot: Snapshot) -> dict[str, str]:
    if term[0] == "iri":
        out = {"id": _short(term[1]), "iri": term[1]}
        label = snapshot.label(term[1])
        if label is not None:
            out["label"] = label
        return out
    if term[0] == "bnode":
        return {"blank": term[1]}
    out = {"literal": term[1]}
    if term[2]:
        out["datatype"] = _short(term[2])
    if term[3]:
        out["language"] = term[3]
    return out


def _value_text(term: Term, snapshot: Snapshot, markdown: bool = False) -> str:
    """``label (id)`` for a term with a label, the id alone otherwise; literals quoted."""
    if term[0] == "iri":
        ident = _short(term[1])
        label = snapshot.label(term[1])
        shown = f"`{ident}`" if markdown else ident
        if label and label != ident:
            return f"{_md(label) if markdown else label} ({shown})"
        return shown
    if term[0] == "bnode":
        return "[blank node]"
    quoted = json.dumps(term[1], ensure_ascii=False)
    return _md(quoted) if markdown else quoted


def _entity_json(change: EntityChange, diff: GraphDiff, with_fields: bool) -> dict[str, object]:
    out: dict[str, object] = {"id": _short(change.iri), "iri": change.iri, "label": change.label}
    if change.group is not None:
        out["condition"] = change.group
    if with_fields:
        out["fields"] = [
            {
                "field": name,
                "property": _short(predicate),
                "old": [_value_json(t, diff.old) for t in olds],
                "new": [_value_json(t, diff.new) for t in news],
            }
            for predicate, name, olds, news in change.fields
        ]
    return out


def _as_json(diff: GraphDiff) -> str:
    data: dict[str, object] = {
        "old": {"name": diff.old.name, "version": diff.old.version, "triples": sum(diff.old.triples.values())},
        "new": {"name": diff.new.name, "version": diff.new.version, "triples": sum(diff.new.triples.values())},
        "identical": diff.identical,
        "triples": {"added": diff.triples_added, "removed": diff.triples_removed},
        "other_subjects_changed": [_short(iri) for iri in diff.others],
    }
    for key, kind in diff.kinds.items():
        data[key] = {
            "counts": {
                "old": kind.old_count,
                "new": kind.new_count,
                "added": len(kind.added),
                "removed": len(kind.removed),
                "changed": len(kind.changed),
            },
            "added": [_entity_json(c, diff, False) for c in kind.added],
            "removed": [_entity_json(c, diff, False) for c in kind.removed],
            "changed": [_entity_json(c, diff, True) for c in kind.changed],
        }
    return json.dumps(data, indent=1, ensure_ascii=False)


def _by_group(changes: list[EntityChange]) -> list[tuple[str, list[EntityChange]]]:
    groups: dict[str, list[EntityChange]] = {}
    for change in changes:
        groups.setdefault(change.group or "(no condition)", []).append(change)
    return sorted(groups.items(), key=lambda g: g[0].lower())


def _field_lines(olds: list[Term], news: list[Term], diff: GraphDiff, markdown: bool) -> tuple[str, list[str]]:
    """``old -> new`` when one value replaced another; otherwise a line per value gone or come."""
    if len(olds) <= 1 and len(news) <= 1:
        before = _value_text(olds[0], diff.old, markdown) if olds else "(none)"
        after = _value_text(news[0], diff.new, markdown) if news else "(none)"
        return f"{before} {'→' if markdown else '->'} {after}", []
    gone = [f"{'removed: ' if markdown else '- '}{_value_text(t, diff.old, markdown)}" for t in olds if t not in news]
    come = [f"{'added: ' if markdown else '+ '}{_value_text(t, diff.new, markdown)}" for t in news if t not in olds]
    return "", gone + come


def _some(iris: list[str], markdown: bool, limit: int = 12) -> str:
    shown = [f"`{_short(i)}`" if markdown else _short(i) for i in iris[:limit]]
    return ", ".join(shown) + (f" and {len(iris) - limit} more" if len(iris) > limit else "")


def _counts(kind: KindDiff) -> str:
    return (
        f"{len(kind.added)} added, {len(kind.removed)} removed, {len(kind.changed)} changed "
        f"({kind.old_count:,} -> {kind.new_count:,})"
    )


def _version(snapshot: Snapshot) -> str:
    return f"version {snapshot.version}" if snapshot.version else "no version"


def _same_version(diff: GraphDiff) -> str | None:
    """The version both sides are stamped with when the graphs differ anyway (work since a release,
    before the version was raised), said once so that "0.1.0 -> 0.1.0" never reads as no change."""
    if diff.old.version and diff.old.version == diff.new.version and not diff.identical:
        return f"both stamped version {diff.old.version}: the version was not raised for these changes"
    return None


def _header(diff: GraphDiff) -> list[str]:
    same = _same_version(diff)

    def side(s: Snapshot) -> str:
        return f"{s.name} ({'' if same else _version(s) + ', '}{sum(s.triples.values()):,} triples)"

    return [f"ketamine-kg diff: {side(diff.old)} -> {side(diff.new)}" + (f"; {same}" if same else "")]


def _claims_text(diff: GraphDiff) -> list[str]:
    """The text report's claims: added and removed by group, then changed field by field."""
    claims = diff.kinds["claims"]
    lines = ["", f"{KINDS['claims'][0]}: {_counts(claims)}"]
    for title, mark, changes in (("added", "+", claims.added), ("removed", "-", claims.removed)):
        if changes:
            lines.append(f"  {title}:")
            for group, members in _by_group(changes):
                lines.append(f"    {group}")
                lines += [f"      {mark} {_short(c.iri)}  {c.label or ''}".rstrip() for c in members]
    if claims.changed:
        lines.append("  changed:")
    for c in claims.changed:
        lines.append(f"    ~ {_short(c.iri)}  {c.label or ''}".rstrip())
        for _, name, olds, news in c.fields:
            head, items = _field_lines(olds, news, diff, markdown=False)
            lines.append(f"        {name}: {head}".rstrip())
            lines += [f"          {item}" for item in items]
    return lines


def _as_text(diff: GraphDiff) -> str:
    """The diff as plain text: header, claims (:func:`_claims_text`), the other kinds, other subjects."""
    lines = _header(diff)
    lines.append(f"triples: +{diff.triples_added:,} -{diff.triples_removed:,}")
    lines += _claims_text(diff)
    for key, kind in diff.kinds.items():
        if key == "claims":
            continue
        lines += ["", f"{KINDS[key][0]}: {_counts(kind)}"]
        for mark, changes in (("+", kind.added), ("-", kind.removed)):
            lines += [f"  {mark} {_short(c.iri)}" for c in changes]
        lines += [f"  ~ {_short(c.iri)}  ({', '.join(f[1] for f in c.fields)})" for c in kind.changed]
    if diff.others:
        lines += ["", f"other subjects with changed triples: {len(diff.others)}", "  " + _some(diff.others, False)]
    return "\n".join(lines)


def _md(text: str | None) -> str:
    # Labels are curated text; keep them from being read as markdown.
    return (text or "").replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("<", "&lt;")


def _claims_markdown(diff: GraphDiff) -> list[str]:
    """The CHANGELOG entry's claims: added and removed by group, then changed field by field."""
    claims = diff.kinds["claims"]
    lines: list[str] = []
    for title, changes in (("Added claims", claims.added), ("Removed claims", claims.removed)):
        lines += ["", f"### {title} ({len(changes)})"]
        if not changes:
            lines += ["", "None."]
        for group, members in _by_group(changes):
            lines += ["", f"#### {_md(group)}", ""]
            lines += [f"- `{_short(c.iri)}` {_md(c.label)}".rstrip() for c in members]
    lines += ["", f"### Changed claims ({len(claims.changed)})", ""]
    if not claims.changed:
        lines.append("None.")
    for c in claims.changed:
        lines.append(f"- `{_short(c.iri)}` {_md(c.label)}".rstrip())
        for _, name, olds, news in c.fields:
            head, items = _field_lines(olds, news, diff, markdown=True)
            lines.append(f"  - {_md(name)}: {head}".rstrip())
            lines += [f"    - {item}" for item in items]
    return lines


def _as_markdown(diff: GraphDiff) -> str:
    """The diff as a Markdown CHANGELOG entry: the same parts as :func:`_as_text`, in the order they print."""
    same = _same_version(diff)
    if same:
        lines = [f"Compared `{diff.old.name}` with `{diff.new.name}`, {same}."]
    else:
        lines = [f"Compared `{diff.old.name}` ({_version(diff.old)}) with `{diff.new.name}` ({_version(diff.new)})."]
    lines += _claims_markdown(diff)
    lines += [
        "",
        "### Counts",
        "",
        "| | before | after | added | removed | changed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, kind in diff.kinds.items():
        lines.append(
            f"| {KINDS[key][0]} | {kind.old_count:,} | {kind.new_count:,} | {len(kind.added)} | "
            f"{len(kind.removed)} | {len(kind.changed)} |"
        )
    old_total, new_total = sum(diff.old.triples.values()), sum(diff.new.triples.values())
    lines.append(f"| triples | {old_total:,} | {new_total:,} | {diff.triples_added:,} | {diff.triples_removed:,} | |")
    for key, kind in diff.kinds.items():
        if key == "claims":
            continue
        for verb, changes in (("added", kind.added), ("removed", kind.removed), ("changed", kind.changed)):
            if changes:
                ids = ", ".join(f"`{_short(c.iri)}`" for c in changes)
                lines += ["", f"{KINDS[key][0].capitalize()} {verb}: {ids}."]
    if diff.others:
        lines += ["", f"Other subjects with changed triples ({len(diff.others)}): {_some(diff.others, True)}."]
    return "\n".join(lines)


def render(diff: GraphDiff, fmt: str = "text") -> str:
    """The diff as ``text`` (for a terminal), ``markdown`` (for CHANGELOG.md) or ``json``."""
    if fmt == "json":
        return _as_json(diff)
    if diff.identical:
        return "no changes"
    if fmt == "markdown":
        return _as_markdown(diff)
    if fmt == "text":
        return _as_text(diff)
    raise UsageError(f"unknown diff format {fmt!r} (use text, markdown or json)")


def diff_cli(old: str, new: str, fmt: str = "text", root: Path | None = None) -> str:
    """What ``ketamine-kg diff OLD NEW`` prints."""
    return render(diff_snapshots(load_snapshot(old, root), load_snapshot(new, root)), fmt)
