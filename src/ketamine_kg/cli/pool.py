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
from ketamine_kg.evidence.harmonize import COMPARISON_CLASSES, DEFAULT_COMPARISONS
from ketamine_kg.evidence.pooling import FAMILIES, METHODS, Estimate, Pooling, PoolingError, Summary
from ketamine_kg.evidence.selection import DAYS_PER_UNIT, STUDY_KEYS, Question, answer, normalise_row


def _read_file(path: Path) -> Any:
    """Decides what one file holds (JSON is YAML too), or a UsageError saying why it cannot be read."""
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))  # JSON is YAML too
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"cannot read {path}: {' '.join(str(exc).split())[:200]}") from exc


def _curated_sections(path: Path, data: Mapping[str, Any]) -> None:
    """Decides whether a curated file's 'studies' and 'results' sections are lists of records."""
    for name in ("studies", "results"):
        section = data.get(name) or []
        if not isinstance(section, list) or not all(isinstance(r, Mapping) for r in section):
            raise UsageError(f"{path}: '{name}' must be a list of records")


def _joined(
    result: Mapping[str, Any], studies: Mapping[str, Mapping[str, Any]], outcomes: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """One curated result as a pooling row: joined with its study, its outcome's and instrument's construct
    and its outcome's direction of better; a UsageError when its study is in none of the files."""
    study = studies.get(str(result.get("study")))
    if study is None:
        raise UsageError(f"result {result.get('id')}: study {result.get('study')} is in none of the files")
    outcome = outcomes.get(str(result.get("outcome"))) or {}
    instrument = outcomes.get(str(result.get("instrument"))) or {}
    return {
        **result,
        **{key: study.get(key) for key in STUDY_KEYS},
        "outcome_construct": outcome.get("measures"),
        "better_when": outcome.get("better_when"),
        "instrument_construct": instrument.get("measures"),
    }


def _outcome_entities(data: Any) -> dict[str, Mapping[str, Any]]:
    """A file's Outcome entities by id (their construct and direction of better join the results)."""
    if not (isinstance(data, Mapping) and isinstance(data.get("entities"), list)):
        return {}
    return {str(e.get("id")): e for e in data["entities"] if isinstance(e, Mapping) and e.get("type") == "Outcome"}


def _gather(
    path: Path,
    data: Any,
    rows: list[dict[str, Any]],
    studies: dict[str, Mapping[str, Any]],
    outcomes: dict[str, Mapping[str, Any]],
    results: list[Mapping[str, Any]],
) -> None:
    """Decides what one file adds: its Outcome entities, its curated studies and results, or its plain
    rows; a UsageError for a file that is none of these."""
    outcomes.update(_outcome_entities(data))
    if isinstance(data, Mapping) and ("results" in data or "studies" in data):
        _curated_sections(path, data)
        studies.update({str(s.get("id")): s for s in data.get("studies") or []})
        results += data.get("results") or []
    elif isinstance(data, list) and all(isinstance(r, Mapping) for r in data):
        rows += [dict(r) for r in data]
    elif not (isinstance(data, Mapping) and "entities" in data):
        raise UsageError(f"{path}: expected a list of result rows or curated 'studies'/'results' sections")


def load_rows(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """Rows from JSON or YAML files: each a list of rows, or curated ``studies``/``results`` sections.

    Results in curated files are joined with their study (from any of the files) here.
    """
    rows: list[dict[str, Any]] = []
    studies: dict[str, Mapping[str, Any]] = {}
    outcomes: dict[str, Mapping[str, Any]] = {}
    results: list[Mapping[str, Any]] = []
    for path in paths:
        _gather(path, _read_file(path), rows, studies, outcomes, results)
    rows += [_joined(result, studies, outcomes) for result in results]
    return rows


def graph_rows(root: Path | None = None) -> list[dict[str, Any]]:
    """Every result of the built graph, joined with its study, as rows for :func:`answer`.

    The query is the project's own (no user text reaches it), so it runs on a plain store.
    """
    import pyoxigraph as ox

    from ketamine_kg.build.pooled_estimates import pooling_rows, query_file
    from ketamine_kg.layout import find_layout

    layout = find_layout(root)
    graph = layout.graph_file("nt")
    if not graph.is_file():
        raise UsageError(f"no built graph at {graph}: run 'ketamine-kg build' first, or give FILES")
    store = ox.Store()
    store.bulk_load(path=str(graph), format=ox.RdfFormat.N_TRIPLES)
    # The build's pooled estimates read their rows through the same function and query.
    return pooling_rows(store, query_file(layout.root).read_text(encoding="utf-8"))


def _num(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _ratio(p: Pooling, lo: float | None, hi: float | None, est: float | None = None) -> str:
    """The interval (and estimate) back on the ratio scale, for log-pooled families."""
    if not p.log_scale or lo is None or hi is None:
        return ""
    point = "" if est is None else f"{math.exp(est):.3f} "
    return f"   {p.family} {point}[{math.exp(lo):.3f}, {math.exp(hi):.3f}]"


CONVENTION = (
    "sign convention: differences are drug minus comparator, ratios drug over comparator (pooled as logs); "
    "the printed figure is shown as the source gave it"
)


def _summary_lines(p: Pooling, s: Summary) -> list[str]:
    """The pooled figures, one a line: favours, k, n, estimate, heterogeneity, prediction interval."""
    pval = "p < 0.0001" if s.q_p < 1e-4 else f"p = {s.q_p:.4f}"
    pi = "-" if s.pi_lower is None else f"[{_num(s.pi_lower)}, {_num(s.pi_upper)}]  (t, {s.k - 2} df)"
    return [
        f"  favours               {p.favours}" + ("  (the CI crosses no effect)" if p.favours == "neither" else ""),
        f"  studies (k)           {p.k_studies}" + (f"  ({s.k} effects)" if s.k != p.k_studies else ""),
        f"  participants (n)      {p.n_total:,}"
        + (f"  (+ {p.n_unknown} stud{'y' if p.n_unknown == 1 else 'ies'} whose n is unknown)" if p.n_unknown else ""),
        f"  estimate              {_num(s.estimate)}  [{_num(s.ci_lower)}, {_num(s.ci_upper)}]"
        + _ratio(p, s.ci_lower, s.ci_upper, s.estimate),
        f"  tau^2 / I^2           {_num(s.tau2)} / {s.i2:.1f}%",
        f"  Q                     {s.q:.2f} (df {s.q_df}, {pval})",
        f"  prediction interval   {pi}" + _ratio(p, s.pi_lower, s.pi_upper),
    ]


def _included_line(e: Estimate) -> str:
    """One included row: its effect and where it came from, the printed figure, and the rule that chose it."""
    n = "n ?" if e.n is None else f"n {e.n}"
    flags = f"  [{', '.join(e.flags)}]" if e.flags else ""
    return (
        f"  {e.result_id}  ({e.study}){flags}\n"
        f"      effect {e.effect:.4f} (SE {math.sqrt(e.variance):.4f}, {n}, from {e.derived_from}); "
        f"favours {e.favours or '-'}\n"
        f"      printed {e.printed or '-'}; {e.time or 'no time point'}; "
        f"analysis set {e.analysis_set or '-'}"
        + (f" ({e.analysis_population})" if e.analysis_population else "")
        + (f"; subgroup {e.subgroup}" if e.subgroup else "")
        + f"\n      arms: {e.arms or '-'}; rule: {e.rule or '-'}"
    )


def render(p: Pooling, selection: str) -> str:
    """A one-screen summary, then the included rows (each with its rule) and the excluded ones."""
    s = p.summary
    scale = f" (pooled as log {p.family})" if p.log_scale else f" on {p.instrument}" if p.instrument else ""
    lines = [f"Pooled {p.family}{scale}: {p.method}" + (f", {s.level:g}% CI" if s else ""), f"selection: {selection}"]
    lines += [f"  - {note}" for note in p.notes] + [f"  - {CONVENTION}"]
    if s:
        lines += _summary_lines(p, s)
    lines += ["", f"Included ({len(p.included)})"]
    lines += [_included_line(e) for e in p.included]
    lines += ["", f"Excluded ({len(p.excluded)})"]
    lines += [f"  {x.result_id}  ({x.study or '-'}): {x.reason}" for x in p.excluded]
    return "\n".join(lines)


def as_json(p: Pooling, question: Question) -> dict[str, Any]:
    """The answer as a script checks it: summary, included rows with their rule, excluded rows with why."""
    s = p.summary
    summary = None
    if s is not None:
        summary = {
            "measure": p.family,
            "scale": f"log {p.family}" if p.log_scale else p.family,
            "method": s.method,
            "level": s.level,
            "estimate": s.estimate,
            "ci_lower": s.ci_lower,
            "ci_upper": s.ci_upper,
            "se": s.se,
            "tau2": s.tau2,
            "i2": s.i2,
            "q": s.q,
            "q_df": s.q_df,
            "q_p": s.q_p,
            "prediction_interval": None if s.pi_lower is None else [s.pi_lower, s.pi_upper],
            "favours": p.favours,
            "k": p.k_studies,
            "k_effects": s.k,
            "n": p.n_total,
            "n_unknown_count": p.n_unknown,
        }
        if p.log_scale:
            summary["ratio"] = {
                "estimate": math.exp(s.estimate),
                "ci_lower": math.exp(s.ci_lower),
                "ci_upper": math.exp(s.ci_upper),
            }
    return {
        "question": asdict(question),
        "convention": CONVENTION,
        "construct": p.construct,
        "better_when": p.better_when,
        "comparisons": list(p.comparisons),
        "instrument": p.instrument,
        "includes_unverified": question.include_unverified,
        "notes": list(p.notes),
        "summary": summary,
        "included": [
            {
                "result_id": e.result_id,
                "study": e.study,
                "effect": e.effect,
                "variance": e.variance,
                "se": math.sqrt(e.variance),
                "favours": e.favours,
                "n": e.n,
                "printed": e.printed,
                "derived_from": e.derived_from,
                "analysis_population": e.analysis_population,
                "analysis_set": e.analysis_set,
                "subgroup": e.subgroup,
                "arm_handling": e.arms,
                "time_point": e.time,
                "rule": e.rule,
                "drug": e.drug,
                "flags": list(e.flags),
            }
            for e in p.included
        ],
        "excluded": [{"result_id": x.result_id, "study": x.study, "reason": x.reason} for x in p.excluded],
    }


def check_question(rows: Sequence[Mapping[str, Any]], question: Question) -> None:
    """Refuse, in one line, a slug no row has (naming the closest ones), a question that names
    neither an outcome nor a construct, or a selection that matches no result at all (naming the
    closest condition or outcome that has results)."""
    import difflib

    from ketamine_kg.evidence.harmonize import resolved_construct

    def known(key: str) -> set[str]:
        if key == "construct":
            return {c for c in map(resolved_construct, rows) if c}
        if key == "instrument":
            return {
                str(r.get("instrument") or r.get("outcome")) for r in rows if r.get("instrument") or r.get("outcome")
            }
        return {str(r[key]) for r in rows if r.get(key) not in (None, "")}

    def closest(value: str, pool: set[str]) -> str:
        near = difflib.get_close_matches(value, sorted(pool), n=3, cutoff=0.5)
        if near:
            return f"closest: {', '.join(near)}"
        return f"known: {', '.join(sorted(pool))}" if len(pool) <= 8 else f"{len(pool)} known, none close"

    if question.time_min_days is not None and question.time_max_days is not None:
        if question.time_min_days > question.time_max_days:
            raise UsageError("--time-min is after --time-max: the window is empty")
    for key in (
        "condition",
        "outcome",
        "instrument",
        "drug",
        "route",
        "comparator_kind",
        "design",
        "construct",
        "subgroup",
        "harm",
    ):
        value = getattr(question, key)
        if value is not None and value not in known(key):
            raise UsageError(f"no result has {key.replace('_', ' ')} {value!r} ({closest(str(value), known(key))})")
    if not question.outcome and not question.construct:
        raise UsageError("name what to pool: --outcome (e.g. madrs) or --construct (e.g. depressive-symptoms)")
    if question.condition and question.outcome:
        here = [r for r in rows if r.get("condition") == question.condition]
        if not any(r.get("outcome") == question.outcome for r in here):
            outcomes = known("outcome") & {str(r.get("outcome")) for r in here}
            conditions = {str(r.get("condition")) for r in rows if r.get("outcome") == question.outcome}
            raise UsageError(
                f"no result on outcome {question.outcome!r} in condition {question.condition!r} "
                f"(outcomes there, {closest(question.outcome, outcomes)}; "
                f"conditions with it, {closest(question.condition, conditions)})"
            )


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
@click.option("--construct", help="What the outcome measures, e.g. depressive-symptoms (default: the commonest, said).")
@click.option(
    "--comparison",
    "comparisons",
    multiple=True,
    type=click.Choice(COMPARISON_CLASSES),
    help="Comparison class to pool; repeat for several. Default: inert-placebo and active-placebo.",
)
@click.option("--harm", help="For harms (outcome adverse-event-incidence): the adverse effect, e.g. dissociation.")
@click.option("--subgroup", help="Pool this subgroup's results (default: whole analysed populations only).")
@click.option("--include-unverified", is_flag=True, help="Add unverified and secondary-copy figures, marked.")
@click.option("--level", default=95.0, show_default=True, type=float, help="Confidence level, percent.")
@click.option("--format", "fmt", default="text", show_default=True, type=click.Choice(["text", "json"]))
def pool_command(files: tuple[Path, ...], fmt: str, time_unit: str, **options: Any) -> None:
    """Meta-analyse the graph's results that match (or those in FILES: JSON/YAML rows, or curated YAML).

    \b
    Differences are drug minus comparator and ratios drug over comparator, whatever order the
    source printed; `favours` says which side the CI is on. Without --time-min/--time-max each
    study's primary endpoint is used. Unverified and secondary-copy figures, subgroups and other
    comparison classes than placebo are left out unless asked, each with its reason.

    \b
    Example:
      ketamine-kg pool --measure mean-difference --outcome madrs --drug ketamine --time-max 1
      ketamine-kg pool --measure odds-ratio --outcome abstinence --comparison inert-placebo --comparison active-placebo
    """
    per_day = DAYS_PER_UNIT[time_unit]
    for end in ("time_min", "time_max"):
        value = options.pop(end)
        options[f"{end}_days"] = None if value is None else value * per_day
    options["comparisons"] = tuple(options["comparisons"]) or DEFAULT_COMPARISONS
    question = Question(**options)
    rows = load_rows(files) if files else graph_rows()
    check_question([normalise_row(r) for r in rows], question)
    try:
        pooled = answer(rows, question)
    except PoolingError as exc:
        raise UsageError(str(exc)) from exc
    chosen = [
        f"{k}={','.join(v) if isinstance(v, tuple) else v}"
        for k, v in options.items()
        if v not in (None, False) and k not in {"measure", "method", "level"}
    ]
    if fmt == "json":
        click.echo(json.dumps(as_json(pooled, question), indent=2))
    else:
        click.echo(render(pooled, ", ".join(chosen) or "everything"))
    if pooled.summary is None:
        raise KetamineKGError(f"nothing pooled: {pooled.k_studies} study left, at least two are needed")


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
