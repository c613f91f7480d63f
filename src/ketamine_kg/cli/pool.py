"""``ketamine-kg pool``: meta-analyse the results that answer one question.

By default the results come from the built graph, through ``queries/inputs/pooling-inputs.rq``;
given files (JSON/YAML rows or curated YAML), from those instead.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from ketamine_kg.errors import KetamineKGError, UsageError
from ketamine_kg.evidence.pooling import FAMILIES, METHODS, Pooling, PoolingError
from ketamine_kg.evidence.selection import DAYS_PER_UNIT, STUDY_KEYS, Question, answer


def load_rows(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """Rows from JSON or YAML files: each a list of rows, or curated ``studies``/``results`` sections.

    Results in curated files are joined with their study (from any of the files) here.
    """
    import yaml

    rows: list[dict[str, Any]] = []
    studies: dict[str, Mapping[str, Any]] = {}
    results: list[Mapping[str, Any]] = []
    for path in paths:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))  # JSON is YAML too
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise UsageError(f"cannot read {path}: {' '.join(str(exc).split())[:200]}") from exc
        if isinstance(data, Mapping) and ("results" in data or "studies" in data):
            for name in ("studies", "results"):
                section = data.get(name) or []
                if not isinstance(section, list) or not all(isinstance(r, Mapping) for r in section):
                    raise UsageError(f"{path}: '{name}' must be a list of records")
            studies.update({str(s.get("id")): s for s in data.get("studies") or []})
            results += data.get("results") or []
        elif isinstance(data, list) and all(isinstance(r, Mapping) for r in data):
            rows += [dict(r) for r in data]
        else:
            raise UsageError(f"{path}: expected a list of result rows or curated 'studies'/'results' sections")
    for result in results:
        study = studies.get(str(result.get("study")))
        if study is None:
            raise UsageError(f"result {result.get('id')}: study {result.get('study')} is in none of the files")
        rows.append({**result, **{key: study.get(key) for key in STUDY_KEYS}})
    return rows


def graph_rows(root: Path | None = None) -> list[dict[str, Any]]:
    """Every result of the built graph, joined with its study, as rows for :func:`answer`.

    The query is the project's own (no user text reaches it), so it runs on a plain store.
    """
    import pyoxigraph as ox

    from ketamine_kg.layout import find_layout

    layout = find_layout(root)
    graph = layout.graph_file("nt")
    if not graph.is_file():
        raise UsageError(f"no built graph at {graph}: run 'ketamine-kg build' first, or give FILES")
    store = ox.Store()
    store.bulk_load(path=str(graph), format=ox.RdfFormat.N_TRIPLES)
    text = (layout.root / "queries" / "inputs" / "pooling-inputs.rq").read_text(encoding="utf-8")
    solutions = store.query(text)
    names = [v.value for v in solutions.variables]  # type: ignore[union-attr]
    return [
        {name: term.value for name, term in zip(names, row, strict=True) if term is not None}
        for row in solutions  # type: ignore[union-attr]
    ]


def _num(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _ratio(p: Pooling, lo: float | None, hi: float | None, est: float | None = None) -> str:
    """The interval (and estimate) back on the ratio scale, for log-pooled families."""
    if not p.log_scale or lo is None or hi is None:
        return ""
    point = "" if est is None else f"{math.exp(est):.3f} "
    return f"   {p.family} {point}[{math.exp(lo):.3f}, {math.exp(hi):.3f}]"


def render(p: Pooling, selection: str) -> str:
    """A one-screen summary, then the included and the excluded rows."""
    s = p.summary
    scale = f" (pooled as log {p.family})" if p.log_scale else f" on {p.instrument}" if p.instrument else ""
    lines = [f"Pooled {p.family}{scale}: {p.method}" + (f", {s.level:g}% CI" if s else ""), f"selection: {selection}"]
    if s:
        pval = "p < 0.0001" if s.q_p < 1e-4 else f"p = {s.q_p:.4f}"
        pi = "-" if s.pi_lower is None else f"[{_num(s.pi_lower)}, {_num(s.pi_upper)}]  (t, {s.k - 2} df)"
        lines += [
            f"  studies (k)           {s.k}",
            f"  participants (n)      {p.n_total:,}"
            + (f"  (+ {p.n_unknown} result(s) without n)" if p.n_unknown else ""),
            f"  estimate              {_num(s.estimate)}  [{_num(s.ci_lower)}, {_num(s.ci_upper)}]"
            + _ratio(p, s.ci_lower, s.ci_upper, s.estimate),
            f"  tau^2 / I^2           {_num(s.tau2)} / {s.i2:.1f}%",
            f"  Q                     {s.q:.2f} (df {s.q_df}, {pval})",
            f"  prediction interval   {pi}" + _ratio(p, s.pi_lower, s.pi_upper),
        ]
    lines += ["", f"Included ({len(p.included)})"]
    width = max([len(e.result_id) for e in p.included] + [6])
    lines += [f"  {'result':<{width}}  {'effect':>9}  {'SE':>7}  {'n':>7}  study / from"] if p.included else []
    for e in p.included:
        n = "-" if e.n is None else str(e.n)
        se = math.sqrt(e.variance)
        lines.append(f"  {e.result_id:<{width}}  {e.effect:>9.4f}  {se:>7.4f}  {n:>7}  {e.study} / {e.derived_from}")
    lines += ["", f"Excluded ({len(p.excluded)})"]
    lines += [f"  {x.result_id}  ({x.study or '-'}): {x.reason}" for x in p.excluded]
    return "\n".join(lines)


@click.command("pool")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--measure", required=True, type=click.Choice(FAMILIES), help="Measure family to pool.")
@click.option("--method", default="reml", show_default=True, type=click.Choice(METHODS), help="tau^2 estimator, or fe.")
@click.option("--condition", help="Study condition slug, e.g. treatment-resistant-depression.")
@click.option("--outcome", help="Outcome slug, e.g. madrs or response.")
@click.option("--instrument", help="Scale slug; mean differences default to the commonest.")
@click.option("--time-min", type=float, help="Earliest time point, in --time-unit.")
@click.option("--time-max", type=float, help="Latest time point, in --time-unit.")
@click.option("--time-unit", default="day", show_default=True, type=click.Choice(sorted(DAYS_PER_UNIT)))
@click.option("--time-from", type=click.Choice(["first-dose", "last-dose", "randomization", "baseline"]))
@click.option("--drug", help="Drug form slug, e.g. esketamine-nasal-spray (exact match).")
@click.option("--route", help="Route slug, e.g. intravenous.")
@click.option("--comparator-kind", help="e.g. saline-placebo, active-placebo.")
@click.option("--design", help="e.g. randomized-controlled-trial.")
@click.option("--level", default=95.0, show_default=True, type=float, help="Confidence level, percent.")
@click.option("--format", "fmt", default="text", show_default=True, type=click.Choice(["text", "json"]))
def pool_command(files: tuple[Path, ...], fmt: str, time_unit: str, **options: Any) -> None:
    """Meta-analyse the graph's results that match (or those in FILES: JSON/YAML rows, or curated YAML).

    \b
    Example:
      ketamine-kg pool --measure odds-ratio --outcome abstinence --method dl
      ketamine-kg pool --measure mean-difference --outcome madrs --time-min 28 --time-max 28
    """
    per_day = DAYS_PER_UNIT[time_unit]
    for end in ("time_min", "time_max"):
        value = options.pop(end)
        options[f"{end}_days"] = None if value is None else value * per_day
    question = Question(**options)
    try:
        pooled = answer(load_rows(files) if files else graph_rows(), question)
    except PoolingError as exc:
        raise UsageError(str(exc)) from exc
    chosen = [f"{k}={v}" for k, v in options.items() if v is not None and k not in {"measure", "method", "level"}]
    if fmt == "json":
        click.echo(json.dumps({"question": asdict(question), **asdict(pooled), "n_total": pooled.n_total}, indent=2))
    else:
        click.echo(render(pooled, ", ".join(chosen) or "everything"))
    if pooled.summary is None:
        raise KetamineKGError(f"nothing pooled: {len(pooled.included)} study left, at least two are needed")


def main(argv: list[str] | None = None) -> int:
    """Run the command alone, with the CLI's one-line errors and exit codes."""
    try:
        pool_command.main(args=argv, prog_name="ketamine-kg pool", standalone_mode=False)
        return 0
    except KetamineKGError as exc:
        click.echo(f"ketamine-kg: error: {' '.join(str(exc).split())}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"ketamine-kg: error: {' '.join(exc.format_message().split())}", err=True)
        return UsageError.exit_code


if __name__ == "__main__":
    sys.exit(main())
