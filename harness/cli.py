"""The ``irp-harness`` command line: run, validate, list blocks, print the schema.

A thin layer: it parses arguments, calls :mod:`harness.runner`,
:mod:`harness.scenario` and the block registry, and formats what they return. It
holds no kernel logic.

Exit status: 0 when all went well, 1 when the simulated machine bug-checked, hung or
reached its time limit, 2 for a user error (a malformed scenario, a missing file,
something the harness does not model, an unknown block name), 3 for an internal error
of the harness (printed with a reproducer). User errors never show a traceback.

Streams: ``run`` writes the trace (text, JSON or DbgView lines) to stdout, or to
``--output FILE``, and then its human summary to stdout; only with ``--format json``
on stdout does the summary go to stderr, so the JSON stays machine-readable.

Commands import the harness inside their functions: the only late imports of the
project, for start-up cost (``--help`` and ``blocks`` need neither SimPy nor the
kernel), never to dodge a cycle; tests/test_layers.py holds every other module to
top-level imports.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping, NoReturn

import click
from rich.console import Console
from rich.text import Text

from . import __version__

EXIT_OK = 0
EXIT_FAILED = 1      # the machine bug-checked or hung
EXIT_USAGE = 2       # malformed scenario, missing file, not modelled, unknown name
EXIT_INTERNAL = 3    # a bug of the harness itself

FORMATS = ("text", "json", "dbgview", "trace")
SCENARIO_SUFFIXES = (".yaml", ".yml")


# -- output helpers ----------------------------------------------------------------------
def _console(stderr: bool = False) -> Console:
    """A console on the current sys.stdout/stderr (CliRunner swaps them); never wraps."""
    return Console(stderr=stderr, soft_wrap=True, highlight=False, emoji=False)


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


def _diagnostics(error: Any, *, err: bool) -> None:
    """Print a ScenarioError as ``file:line:col: path: message`` lines."""
    for diagnostic in error.diagnostics:
        click.echo(str(diagnostic), err=err)


def _seconds(time: int | None) -> str:
    return "-" if time is None else f"{time / 10_000_000:.7f} s"


# -- run ---------------------------------------------------------------------------------
def _request_rows(result: Any) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for request in result.requests.values():
        if request.ok is None:
            outcome = "no return"
        else:
            outcome = "ok" if request.ok else "FAILED"
        rows.append((request.name, request.api, outcome, str(request.bytes),
                     request.error_name, request.status_name or "-",
                     _seconds(request.completed_at)))
    return rows


def _summary(result: Any, rerun: str | None = None) -> list[Text]:
    """The run's summary: requests, app output, outcome (one Text per line); ``rerun``
    is the command that repeats the run when it is more than scenario and seed."""
    rerun = rerun or result.rerun_command()
    lines = [Text.assemble((result.scenario_id, "bold"),
                           f"  {result.path}  seed {result.seed}  "
                           f"ended at {_seconds(result.end_time)}")]
    header = ("request", "API", "result", "bytes", "GetLastError", "final status", "completed")
    rows = _request_rows(result)
    if rows:
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

        def line(row: tuple[str, ...], style: str = "") -> Text:
            cells = [cell.rjust(widths[i]) if i == 3 else cell.ljust(widths[i])
                     for i, cell in enumerate(row)]
            return Text("  " + "  ".join(cells).rstrip(), style=style)

        lines.append(Text("Requests:", style="bold"))
        lines.append(line(header, "dim"))
        for row in rows:
            lines.append(line(row, "" if row[2] == "ok" else "yellow"))
    else:
        lines.append(Text("Requests: none"))
    if result.app_output:
        lines.append(Text("App printed:", style="bold"))
        lines.extend(Text(f"  {text}") for text in result.app_output)
    else:
        lines.append(Text("App printed: nothing"))
    bugcheck = result.bugcheck
    if bugcheck is not None:
        params = ", ".join(f"0x{p:X}" for p in (bugcheck.p1, bugcheck.p2, bugcheck.p3,
                                                 bugcheck.p4))
        lines.append(Text.assemble(("Outcome: ", "bold"),
                                   (f"BUG CHECK 0x{bugcheck.code:08X} {bugcheck.name}",
                                    "bold red")))
        lines.append(Text(f"  parameters: {params}"))
        if bugcheck.reason:
            lines.append(Text(f"  reason: {bugcheck.reason}"))
        lines.append(Text(f"  at {_seconds(bugcheck.time)}"))
        lines.append(Text(f"  rerun: {rerun}", style="dim"))
    elif result.outcome != "OK":
        why = (f": {result.frozen}" if result.frozen else f": {result.stopped}"
               if result.stopped else f": blocked threads: {', '.join(result.hung_threads)}")
        lines.append(Text.assemble(("Outcome: ", "bold"), (result.outcome, "bold red"), why))
        if result.active:
            lines.append(Text("Still active:", style="bold"))
            lines.extend(Text(f"  {line}") for line in result.active)
        lines.append(Text(f"  rerun: {rerun}", style="dim"))
    else:
        lines.append(Text.assemble(("Outcome: ", "bold"), ("OK", "bold green")))
    return lines


def _trace(result: Any, fmt: str) -> str:
    return {"text": result.text, "json": result.json, "dbgview": result.dbgview}[fmt]()


# -- validate ----------------------------------------------------------------------------
def _has_scenario_key(path: Path) -> bool:
    """True unless the file is readable text with no top-level ``scenario:`` key.

    Unreadable files count as scenarios, so the loader reports them; only regular files
    are read (the loader's own rules), and no YAML is parsed here.
    """
    from .scenario.loader import read_source
    try:
        text = read_source(path)
    except (OSError, UnicodeDecodeError, ValueError):
        return True
    return not text.strip() or re.search(r"^scenario[ \t]*:", text, re.M) is not None


def _scenario_files(paths: Iterable[str]) -> tuple[list[tuple[Path, bool]], int]:
    """Files to validate (with "is a scenario") and how many include-only files were skipped.

    A directory is searched recursively (hidden directories aside) for scenario files;
    files in it without a top-level ``scenario:`` key are include-only driver files
    and are skipped. A file named explicitly is always checked: as a driver file when
    it has no ``scenario:`` key.
    """
    args = [Path(arg) for arg in paths]
    found: list[tuple[Path, bool]] = []
    seen: set[Path] = set()
    for file in (arg for arg in args if not arg.is_dir()):   # named files first
        if file.resolve() not in seen:
            seen.add(file.resolve())
            found.append((file, _has_scenario_key(file)))
    named = len(found)
    skipped: set[Path] = set()
    for root in (arg for arg in args if arg.is_dir()):
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                file = Path(dirpath, name)
                if not name.endswith(SCENARIO_SUFFIXES) or file.resolve() in seen:
                    continue
                if _has_scenario_key(file):
                    seen.add(file.resolve())
                    found.append((file, True))
                else:
                    skipped.add(file.resolve())
    # Report in the order given: named files and directory contents, by path.
    found[named:] = sorted(found[named:], key=lambda item: item[0].as_posix())
    return found, len(skipped)
    return found, skipped


def _check(file: Path, is_scenario: bool) -> None:
    """Load one file; raises ScenarioError with its problems."""
    from .scenario import load_scenario, load_scenario_text
    from .scenario.resolve import resolve

    if is_scenario or not file.name.endswith(SCENARIO_SUFFIXES):
        resolve(load_scenario(file))
        return
    # An include-only driver file: load it the way a scenario including it would, so
    # its diagnostics (and those of its own includes) name it as the user did.
    host = file.parent / ".irp-harness-validate.yaml"
    text = (f"scenario: validate\ntitle: validate an include-only driver file\n"
            f"include: [{json.dumps(file.name)}]\n")
    resolve(load_scenario_text(text, host))


# -- blocks ------------------------------------------------------------------------------
def describe_type(schema: Any) -> str:
    """A short human description of a JSON-schema fragment ("integer >= 1", "a|b")."""
    if schema is True or schema == {}:
        return "any"
    if not isinstance(schema, Mapping):
        return "nothing"
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "const" in schema:
        return _word(schema["const"])
    if "enum" in schema:
        return " | ".join(_word(value) for value in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(describe_type(branch) for branch in schema[key])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(describe_type({**schema, "type": k}) for k in kind)
    if kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return f"{kind} {low}..{high}"
        if low is not None:
            return f"{kind} >= {low}"
        if high is not None:
            return f"{kind} <= {high}"
        return kind
    if kind == "array":
        return f"list of {describe_type(schema.get('items', True))}"
    if kind == "object":
        props = schema.get("properties")
        if props:
            return "{" + ", ".join(props) + "}"
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            return f"{{name: {describe_type(extra)}, ...}}"
        return "mapping"
    if kind == "null":
        return "none"
    return str(kind) if kind else "any"


def _word(value: Any) -> str:
    return "null" if value is None else str(value).lower() if isinstance(value, bool) \
        else str(value)


def block_parameters(spec: Any) -> list[dict[str, Any]]:
    """The block's parameters: one entry per property, or one unnamed value."""
    params = spec.params
    if params.get("type") == "object" and "properties" in params:
        required = set(params.get("required", ()))
        return [{"name": name, "type": describe_type(prop), "required": name in required,
                 "description": prop.get("description", "") if isinstance(prop, Mapping)
                 else ""}
                for name, prop in params["properties"].items()]
    if params.get("type") == "null":
        return []
    return [{"name": None, "type": describe_type(params), "required": True,
             "description": params.get("description", "")}]


def _params_summary(spec: Any) -> str:
    parameters = block_parameters(spec)
    parts = []
    for p in parameters:
        if p["name"] is None:
            parts.append(p["type"])
        else:
            parts.append(f"{p['name']}{' (required)' if p['required'] else ''}: {p['type']}")
    text = ", ".join(parts)
    if parameters and parameters[0]["name"] is not None:
        text = "{" + text + "}"
    if spec.bare:
        return f"bare, or {text}" if text else "bare"
    return text or "none"


def _usage(spec: Any) -> list[str]:
    forms = []
    if spec.bare:
        forms.append(f"- {spec.name}")
    parameters = block_parameters(spec)
    if parameters and parameters[0]["name"] is None:
        kind = parameters[0]["type"]
        forms.append(f"- {spec.name}: " + (kind if kind.startswith("{") else f"<{kind}>"))
    elif parameters:
        shown = [p for p in parameters if p["required"]] or parameters[:1]
        inner = ", ".join(f"{p['name']}: <{p['type']}>" for p in shown)
        forms.append(f"- {spec.name}: {{{inner}}}")
    return forms


def _catalog(blocks: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"name": spec.name, "kind": spec.kind, "summary": spec.summary,
             "max_irql": spec.max_irql, "models": list(spec.models), "bare": spec.bare,
             "parameters": block_parameters(spec), "params_schema": spec.params}
            for spec in sorted(blocks.values(), key=lambda s: s.name)]


# -- commands ----------------------------------------------------------------------------
@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="irp-harness",
                      message="%(prog)s %(version)s")
def cli() -> None:
    """Run BDD scenarios of Windows driver I/O on a simulated kernel."""


@cli.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS, case_sensitive=False),
              default="text", show_default=True,
              help="Trace format: text (every event), json, dbgview (DbgPrint lines), or "
                   "trace (the records streamed to the --output trace file, *.irpt: "
                   "docs/trace-format.md).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Run seed (default: the scenario's machine.seed, else 0).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the trace to FILE (the summary still goes to stdout).")
@click.option("--schedule", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Replay the scheduling choices saved by `explore --save` exactly.")
def run(scenario: str, fmt: str, seed: int | None, output: str | None,
        schedule: str | None = None) -> None:
    """Run SCENARIO and print its trace and a summary.

    SCENARIO may also be a replay file (``replay: 1``), as the rerun command of a
    failing Gherkin step writes: its machine settings and driven steps run again.

    Exit status: 0 clean run, 1 bug check or hang, 2 scenario or usage error.
    """
    fmt = fmt.lower()
    if fmt == "trace" and output is None:
        _fail("--format trace writes a trace file: name it with --output FILE (e.g. run.irpt)")
    stream = output if fmt == "trace" else None
    result = _run_or_exit(scenario, seed, stream) if schedule is None else \
        _replay_schedule(scenario, schedule)
    if fmt == "trace":
        _write_trace_file(result, output)
    else:
        trace = _trace(result, fmt)
        if output is not None:
            try:
                Path(output).write_text(trace + "\n" if trace else "", encoding="utf-8")
            except OSError as error:
                _fail(f"cannot write {output}: {error.strerror or error}")
        elif trace:
            click.echo(trace)
    # The summary follows the trace on stdout; only JSON keeps stdout to itself so it
    # stays parseable (its summary goes to stderr).
    console = _console(stderr=fmt == "json" and output is None)
    rerun = None if schedule is None else f"irp-harness run {scenario} --schedule {schedule}"
    for line in _summary(result, rerun):
        console.print(line)
    if schedule is not None:      # the trace records the schedule it ran under
        console.print(f"Schedule: {schedule} ({len(result.schedule)} choices, "
                      f"{sum(1 for c in result.schedule if c)} non-default)")
    if result.outcome != "OK":
        raise SystemExit(EXIT_FAILED)


def _replay_schedule(scenario: str, path: str) -> Any:
    """`run --schedule FILE`: the scenario under exactly the saved choices."""
    from .explore import Replay, Schedule, ScheduleError, run_schedule
    from .scenario import ScenarioError, load_scenario
    from .scenario.resolve import resolve

    try:
        saved = Schedule.load(path)
        program = resolve(load_scenario(scenario))
        return run_schedule(program, Replay(saved.choices)).result
    except ScheduleError as error:
        _fail(str(error))
    except ScenarioError as error:
        _diagnostics(error, err=True)
        raise SystemExit(EXIT_USAGE) from None


@cli.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option("--schedules", "-n", type=click.IntRange(min=1), default=1000, show_default=True,
              help="How many schedules to run.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="The campaign's seed (each schedule's seed derives from it).")
@click.option("--strategy", type=click.Choice(["random", "pct", "dfs"]), default="random",
              show_default=True, help="random walk, PCT-style, or bounded exhaustive search.")
@click.option("--preemptions", "-k", type=click.IntRange(min=1), default=2, show_default=True,
              help="dfs: at most K non-default choices; pct: K change points.")
@click.option("--save", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the first failing schedule, minimized, to FILE (JSON).")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=1, show_default=True,
              help="Local processes to spread the schedules over (random and pct).")
@click.option("--coverage", is_flag=True, help="Print the IRP-pair coverage of the runs.")
@click.option("--all", "keep_going", is_flag=True,
              help="Run all N schedules instead of stopping at the first failure.")
def explore(scenario: str, schedules: int, seed: int, strategy: str, preemptions: int,
            save: str | None, workers: int, coverage: bool, keep_going: bool) -> None:
    """Run SCENARIO under many schedules: the choices where Windows could go either way
    (same-instant order, preemption at the synchronization primitives).

    The last line is `explored=N failing=K schedules_per_s=R`. Exit status: 0 no
    failing schedule, 1 one was found (and saved with --save), 2 usage error.
    """
    from .explore import explore as run_campaign
    from .scenario import ScenarioError, load_scenario
    from .scenario.resolve import resolve
    from .runner import RunError

    try:
        program = resolve(load_scenario(scenario))
        found = run_campaign(program, schedules, seed, strategy, preemptions,
                             coverage=coverage, stop_at_first=not keep_going,
                             minimize=save is not None, workers=workers)
    except ScenarioError as error:
        _diagnostics(error, err=True)
        raise SystemExit(EXIT_USAGE) from None
    except RunError as error:
        _fail(f"cannot run the scenario: {error}")
    if found.coverage is not None:
        click.echo(found.coverage.report())
    for signature, count in sorted(found.failures.items()):
        click.echo(f"failing: {signature} in {count} schedule(s)")
    if found.first is not None:
        click.echo(f"first failure: {found.first.failure}")
        if save is not None:
            found.first.schedule.save(save)
            click.echo(f"saved {save} ({found.first.schedule.preemptions} non-default "
                       f"choices); replay: irp-harness run {scenario} --schedule {save}")
    click.echo(found.summary())
    if found.first is not None:
        raise SystemExit(EXIT_FAILED)


def _write_trace_file(result: Any, output: Any) -> None:
    """``-f trace``: a streamed run wrote its file already; a replayed one writes it now."""
    from .trace import TraceFile, TraceView, write_trace

    events = result.events
    if isinstance(events, TraceFile):
        return
    assert isinstance(events, TraceView)
    try:
        write_trace(events, output, {"scenario": result.scenario_id, "seed": result.seed})
    except OSError as error:
        _fail(f"cannot write {output}: {error.strerror or error}")


def _run_or_exit(scenario: str, seed: int | None, trace_file: str | None = None) -> Any:
    """Load and run a scenario; user errors exit with status 2 and no traceback.
    ``trace_file``: stream the trace records there (a replay file writes them after)."""
    from .blocks import BlockDefinitionError
    from .runner import RunError, Session
    from .runner.replay import ReplayError, is_replay, load
    from .scenario import ScenarioError, load_scenario
    from .scenario.resolve import resolve

    try:
        if is_replay(scenario):       # a failing step's rerun file: the very same run
            return load(scenario).run(seed)
        program = resolve(load_scenario(scenario))
        return Session(program, program.machine.seed if seed is None else seed,
                       trace_file=trace_file).run_app()
    except ReplayError as error:
        _fail(str(error))
    except ScenarioError as error:
        _diagnostics(error, err=True)
        raise SystemExit(EXIT_USAGE) from None
    except (RunError, BlockDefinitionError) as error:
        _fail(f"cannot run the scenario: {error}")
    except OSError as error:
        if trace_file is None:
            raise
        _fail(f"cannot write {trace_file}: {error.strerror or error}")


@cli.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), required=True,
              help="Where to write the SVG.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed (default: the "
              "scenario's machine.seed, else 0).")
def diagram(scenario: str, output: str, seed: int | None) -> None:
    """Run SCENARIO (or read a trace file, *.irpt) and draw its IRP sequence diagram as SVG."""
    from .trace import TRACE_SUFFIX, render_sequence_svg

    if scenario.endswith(TRACE_SUFFIX):
        events = _read_trace_or_exit(scenario)
        run = events.header.get("run", {})
        title = f"{run.get('scenario', scenario)} (seed {run.get('seed', '?')})"
    else:
        result = _run_or_exit(scenario, seed)
        events, title = result.events, f"{result.scenario_id} (seed {result.seed})"
    svg = render_sequence_svg(events, title)
    try:
        Path(output).write_text(svg, encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write {output}: {error.strerror or error}")
    click.echo(f"wrote {output}")


def _read_trace_or_exit(path: str) -> Any:
    from .trace import TraceFileError, read_trace

    try:
        return read_trace(path)
    except (TraceFileError, ValueError) as error:
        _fail(f"cannot read the trace file: {error}")


@cli.command("trace")
@click.argument("trace_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS[:3], case_sensitive=False),
              default="text", show_default=True, help="text, json or dbgview, as `run` prints.")
def trace_command(trace_file: str, fmt: str) -> None:
    """Print a trace file (*.irpt, written by `run -f trace -o FILE`) as `run` would."""
    from .trace import render_dbgview, render_json, render_text

    events = _read_trace_or_exit(trace_file)
    render = {"text": render_text, "json": render_json, "dbgview": render_dbgview}[fmt.lower()]
    try:
        text = render(events)
    except ValueError as error:          # a line cut short or edited by hand
        _fail(f"cannot read the trace file: {error}")
    if text:
        click.echo(text)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def validate(paths: tuple[str, ...]) -> None:
    """Check scenario files (PATHS: files or directories, searched for *.yaml).

    In directories, files without a top-level 'scenario:' key (include-only driver
    files) are skipped. Exit status 2 if any file is invalid.
    """
    from .scenario import ScenarioError

    files, skipped = _scenario_files(paths)
    invalid = 0
    for file, is_scenario in files:
        try:
            _check(file, is_scenario)
        except ScenarioError as error:
            invalid += 1
            _diagnostics(error, err=False)
        else:
            click.echo(f"ok  {file}" + ("" if is_scenario else "  (driver file)"))
    note = f"; {skipped} include-only file{'s' * (skipped != 1)} skipped" if skipped else ""
    click.echo(f"{len(files)} checked: {len(files) - invalid} ok, {invalid} invalid{note}",
               err=True)
    if invalid:
        raise SystemExit(EXIT_USAGE)


@cli.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the catalog as JSON.")
def blocks(name: str | None, as_json: bool) -> None:
    """List the behaviour blocks routines can use, or describe block NAME."""
    from .lang.diagnostics import did_you_mean
    from .scenario.schema import registry_blocks

    registry = registry_blocks()
    if name is not None and name not in registry:
        _fail(f"unknown block {name!r}{did_you_mean(name, registry)}\n"
              f"(run 'irp-harness blocks' for the list)")
    chosen = {name: registry[name]} if name else registry
    if as_json:
        entries = _catalog(chosen)
        click.echo(json.dumps(entries[0] if name else entries, indent=2))
        return
    console = _console()
    if name:
        _print_block(console, registry[name])
        return
    for kind, title in (("action", "Actions"), ("block", "Blocks (book recipes)")):
        specs = sorted((s for s in registry.values() if s.kind == kind), key=lambda s: s.name)
        if not specs:
            continue
        console.print(Text(f"{title}:", style="bold"))
        for spec in specs:
            console.print(Text.assemble("  ", (spec.name, "bold cyan"),
                                        f"  [{spec.kind}, max IRQL {spec.max_irql}]"))
            console.print(Text(f"      {spec.summary}"))
            console.print(Text(f"      params: {_params_summary(spec)}"))
            if spec.models:
                console.print(Text(f"      models: {', '.join(spec.models)}", style="dim"))
        console.print()
    console.print(Text("Details: irp-harness blocks NAME", style="dim"))


def _print_block(console: Console, spec: Any) -> None:
    console.print(Text.assemble((spec.name, "bold cyan"),
                                f"  [{spec.kind}, max IRQL {spec.max_irql}]"))
    console.print(Text(f"  {spec.summary}"))
    parameters = block_parameters(spec)
    extra = spec.params.get("description")
    if extra and parameters and parameters[0]["name"] is not None:
        console.print(Text(f"  {extra}"))      # a description of the whole mapping
    console.print(Text("Models: " + (", ".join(spec.models) or "-")))
    console.print(Text("Usage:"))
    for form in _usage(spec):
        console.print(Text(f"  {form}"))
    if not parameters:
        console.print(Text("Parameters: none (written as a bare word)"))
        return
    console.print(Text("Parameters:"))
    width = max(len(p["name"] or "(value)") for p in parameters)
    for p in parameters:
        label = (p["name"] or "(value)").ljust(width)
        flag = "required" if p["required"] and p["name"] else "optional" if p["name"] else ""
        console.print(Text.assemble("  ", (label, "bold"), f"  {p['type']}",
                                    (f"  {flag}" if flag else "", "dim")))
        if p["description"]:
            console.print(Text(f"  {' ' * width}  {p['description']}"))


@cli.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the schema to FILE instead of printing it.")
def schema(output: str | None) -> None:
    """Print the scenario JSON Schema (draft 2020-12) editors use for completion."""
    from .scenario.schema import registry_blocks, schema_text, write_schema

    if output is None:
        click.echo(schema_text(registry_blocks()), nl=False)
        return
    try:
        write_schema(Path(output))
    except OSError as error:
        _fail(f"cannot write {output}: {error.strerror or error}")
    click.echo(f"wrote {output}", err=True)


def main(argv: list[str] | None = None, prog_name: str = "irp-harness") -> None:
    """Entry point of the ``irp-harness`` script and ``python -m harness``."""
    from .blocks import BlockDefinitionError
    try:
        cli.main(args=argv, prog_name=prog_name)
    except BlockDefinitionError as error:      # a custom block module of the project
        click.echo(f"{prog_name}: error: {error}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    except BrokenPipeError:       # `irp-harness run x | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(EXIT_FAILED) from None
    except Exception as error:    # noqa: BLE001 - a bug of the harness, not of the user
        import shlex
        import traceback
        where = traceback.extract_tb(error.__traceback__)[-1]
        command = " ".join(shlex.quote(a) for a in [prog_name, *(argv or sys.argv[1:])])
        click.echo(f"{prog_name}: internal error: {type(error).__name__}: {error}\n"
                   f"  at {where.filename}:{where.lineno} ({where.name})\n"
                   f"  reproduce: {command}\n"
                   "  This is a bug of irp-harness, not of your scenario: please report it "
                   "with the command and the files it names.", err=True)
        raise SystemExit(EXIT_INTERNAL) from None

