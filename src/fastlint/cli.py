"""The ``fastlint`` command line."""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import traceback
from typing import Any, Callable, Optional, TypeVar

import click

from fastlint import __version__
from fastlint.adoption import Adoption
from fastlint.config import ConfigError, load_config
from fastlint.engine import check as run_check
from fastlint.engine import display_path
from fastlint.report import OUTPUT_FORMATS, render, render_statistics
from fastlint.rules import ALL_RULES, RULES_BY_CODE

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _split_codes(values: tuple[str, ...]) -> list[str]:
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


def _read_lines(path: str) -> Optional[list[str]]:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return None


def _fail(message: str) -> None:
    click.echo(f"fastlint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


_Command = TypeVar("_Command", bound=Callable[..., None])


def _internal_errors_exit_2(command: _Command) -> _Command:
    """A bug in fastlint is exit 2 with one clear line, never a traceback and exit 1."""

    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except (SystemExit, KeyboardInterrupt, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as error:
            where = traceback.extract_tb(error.__traceback__)[-1]
            _fail(
                f"internal error: {type(error).__name__}: {error} "
                f"(at {os.path.basename(where.filename)}:{where.lineno}); please report it"
            )

    return guarded  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fastlint")
def main() -> None:
    """fastlint finds the architectural mistakes that stop FastAPI apps from scaling."""


@main.command("check")
@_internal_errors_exit_2
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--select",
    multiple=True,
    help="Rule codes or prefixes to enable (replaces the configured set).",
)
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option(
    "--extend-select", multiple=True, help="Rule codes or prefixes to enable in addition."
)
@click.option(
    "--output-format",
    type=click.Choice(OUTPUT_FORMATS),
    default="concise",
    show_default=True,
    help="How to print findings.",
)
@click.option(
    "--statistics",
    is_flag=True,
    help="Print the number of findings per rule instead of the findings.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--config", "config_file", type=click.Path(), help="Read settings from this file.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option("--fix", is_flag=True, help="Apply safe fixes, then report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff: apply unsafe fixes too.")
@click.option("--diff", is_flag=True, help="Print the diff --fix would apply; write nothing.")
@click.option("--show-fixes", is_flag=True, help="With --fix: list the fixes applied.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to index files with (default: one per core; 1: no extra process).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write .fastlint_cache/.")
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False),
    help="Report only the findings this baseline file does not hold.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False),
    help="Record the current findings in this baseline file, then exit 0.",
)
@click.option(
    "--changed-since",
    metavar="REV",
    help="Report only findings in files changed since this git revision (the whole project "
    "is still analysed).",
)
@click.option(
    "--add-noqa",
    is_flag=True,
    help="Add a `# noqa: CODE` comment to the line of every finding, then exit 0.",
)
def check_command(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    output_format: str,
    statistics: bool,
    exit_zero: bool,
    config_file: Optional[str],
    quiet: bool,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    show_fixes: bool,
    jobs: Optional[int],
    no_cache: bool,
    baseline_file: Optional[str],
    write_baseline: Optional[str],
    changed_since: Optional[str],
    add_noqa: bool,
) -> None:
    """Check PATHS (default: the current directory) for scalability problems."""
    targets = list(paths) or ["."]
    try:
        config = load_config(targets, config_file)
        cli_codes = {
            "--select": _split_codes(select),
            "--ignore": _split_codes(ignore),
            "--extend-select": _split_codes(extend_select),
        }
        for option, codes in cli_codes.items():
            for code in codes:
                if not code.startswith("FLT") or not (code == "FLT" or code[3:].isdigit()):
                    raise ConfigError(
                        f"{option}: {code!r} is not a fastlint code or prefix (FLT, FLT1, FLT101)"
                    )
        config = config.with_cli(
            cli_codes["--select"] or None, cli_codes["--ignore"], cli_codes["--extend-select"]
        )
        config = dataclasses.replace(config, jobs=jobs, use_cache=not no_cache)
        adoption = Adoption.prepare(
            config,
            targets,
            baseline_file=baseline_file,
            write_baseline=write_baseline,
            changed_since=changed_since,
            add_noqa=add_noqa,
            previewing=diff,
        )
    except ConfigError as error:
        _fail(str(error))
        return
    fix_problems: list[str] = []
    if diff or fix:
        # Imported here: it loads libcst.codemod, which doubles the start-up time of every run.
        from fastlint.fixes import fix_paths, write_fixes

        outcome = fix_paths(targets, config, unsafe=unsafe_fixes)
        fix_problems = outcome.problems
        if diff:
            for problem in fix_problems:
                click.echo(f"fastlint: error: {problem}", err=True)
            click.echo(outcome.diff(), nl=False)
            if not quiet:
                count = len(outcome.applied)
                click.echo(f"Would fix {count} problem{'s' if count != 1 else ''}.", err=True)
            sys.exit(EXIT_ERROR if fix_problems else EXIT_FINDINGS if outcome.fixed else EXIT_CLEAN)
        fix_problems = fix_problems + write_fixes(outcome, targets)
        if show_fixes:
            for path, code, title in outcome.applied:
                click.echo(f"{display_path(path)}: fixed {code}: {title}", err=True)
        if not quiet and outcome.applied:
            count = len(outcome.applied)
            click.echo(f"Fixed {count} problem{'s' if count != 1 else ''}.", err=True)
    result = run_check(targets, config)
    # A file the fixes could not read, the check cannot either: say so once.
    result.problems[:0] = [p for p in fix_problems if p not in result.problems]
    adoption.filter(result)
    if adoption.acts:
        sys.exit(adoption.act(result, quiet=quiet))
    for problem in result.problems:
        click.echo(f"fastlint: error: {problem}", err=True)
    for warning in result.warnings:
        click.echo(f"fastlint: warning: {warning}", err=True)
    rules = [rule.meta() for rule in ALL_RULES]
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    if statistics:
        click.echo(render_statistics(result.findings, rules=rules, color=color), nl=False)
    else:
        text = render(
            result.findings,
            output_format,
            rules=rules,
            source_lines=_read_lines,
            color=color and output_format == "full",
            tool_version=__version__,
        )
        click.echo(text, nl=False)
    if not quiet and output_format in ("concise", "full") and not statistics:
        count = len(result.findings)
        if count:
            click.echo(f"Found {count} problem{'s' if count != 1 else ''}.", err=True)
        elif result.files_reported and not result.problems:
            click.echo("All checks passed!", err=True)
    if not quiet and output_format in ("concise", "full"):
        adoption.report(result)
    if result.problems:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.findings and not exit_zero else EXIT_CLEAN)


@main.command("clean")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--config", "config_file", type=click.Path(), help="Read settings from this file.")
def clean_command(paths: tuple[str, ...], config_file: Optional[str]) -> None:
    """Remove the cache (.fastlint_cache/) of the project that PATHS belong to."""
    from fastlint.cache import CACHE_DIR, clean

    try:
        config = load_config(list(paths) or ["."], config_file)
    except ConfigError as error:
        _fail(str(error))
        return
    where = os.path.join(display_path(config.root), CACHE_DIR)
    if clean(config.root):
        click.echo(f"Removed {where}", err=True)
    else:
        click.echo(f"No cache at {where}", err=True)


@main.command("routes")
@_internal_errors_exit_2
@click.argument("path", required=False, type=click.Path())
@click.option(
    "--output-format",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
    help="A table to read, or JSON for other tools.",
)
@click.option("--config", "config_file", type=click.Path(), help="Read settings from this file.")
@click.option("-q", "--quiet", is_flag=True, help="Print the routes only, no summary.")
def routes_command(
    path: Optional[str], output_format: str, config_file: Optional[str], quiet: bool
) -> None:
    """List every endpoint under PATH (default: the current directory): method, full path,
    handler, sync or async, dependencies, unbounded list responses and findings."""
    from fastlint.engine import build_project, filter_reportable, project_findings
    from fastlint.routes import inventory, render_json, render_table, summary_line

    target = path or "."
    if not os.path.exists(target):
        _fail(f"{target}: no such file or directory")
    try:
        config = load_config([target], config_file)
    except ConfigError as error:
        _fail(str(error))
        return
    extra = [os.path.abspath(target)] if os.path.isfile(target) else []
    # The findings from the cache when it is warm; the model is linked again from the cached
    # summaries, since the inventory reads routes and calls.
    analysis = project_findings(config, extra)
    project, summaries, problems = build_project(config, extra)
    for problem in problems:
        click.echo(f"fastlint: error: {problem}", err=True)
    findings = filter_reportable(analysis.findings, analysis.suppressions, config)
    where = os.path.abspath(target)
    only = {
        s.path
        for s in summaries
        if s.path == where or s.path.startswith(where.rstrip(os.sep) + os.sep)
    }
    endpoints = inventory(project, findings, display_path, only)
    render = render_json if output_format == "json" else render_table
    click.echo(render(endpoints), nl=False)
    if not quiet and output_format == "table":
        click.echo(summary_line(endpoints), err=True)
    sys.exit(EXIT_ERROR if problems else EXIT_CLEAN)


@main.command("rules")
def rules_command() -> None:
    """List every rule: code, name, and whether it can fix."""
    for rule in ALL_RULES:
        fix = {"safe": "fix", "unsafe": "unsafe fix"}.get(rule.fix_safety or "", "")
        default = "" if rule.enabled_by_default else "  (opt-in)"
        click.echo(f"{rule.code}  {rule.name:<45} {fix}{default}".rstrip())


@main.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Print the documentation of one rule."""
    rule = RULES_BY_CODE.get(code.upper())
    if rule is None:
        _fail(f"unknown rule {code!r}; `fastlint rules` lists them")
        return
    from fastlint.docs import render_rule

    click.echo(render_rule(rule))
