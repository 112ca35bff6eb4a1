"""``prioreg``: the registry from a terminal (docs/api.md#command-line).

Thin commands over the library: each parses its arguments, calls ``registry`` and prints a rich
table for people or ``--json`` for machines. Errors print one line and exit with status 2 (3 when
the ledger is unreachable); no stack trace reaches the user, even for an unexpected error
(:func:`friendly`: its traceback goes to a file, or to the terminal with ``prioreg --debug``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import typer
from rich.console import Console

from registry.errors import LedgerUnavailable, RegistryError

__all__ = ["app", "main"]

app = typer.Typer(
    name="prioreg",
    help="A distributed register of IP application numbers and priority claims on an EVM ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])

# Usage errors raised in a command body (typer.BadParameter) go back to typer, which prints them as
# one usage line. typer 0.2x vendors its own click (typer._click): its ClickException is not
# click's but derives from typer.TyperException (absent from the typer releases that use click's own).
_TYPER_ERROR: type[Exception] = getattr(typer, "TyperException", click.ClickException)


_DEBUG_ENV_VAR = "PRIOREG_DEBUG"
_debug = False


@app.callback()
def _options(
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar=_DEBUG_ENV_VAR, help="Print the traceback of an unexpected error."),
    ] = False,
) -> None:
    """A distributed register of IP application numbers and priority claims on an EVM ledger."""
    global _debug
    _debug = debug


def friendly(fn: F) -> F:
    """Turn every failure into one line on stderr and an exit status; no traceback reaches the user.

    Status 2 for a registry error (bad input, a refusal, a state directory in use), 3 when the
    ledger is unreachable (nothing was written; run the command again). An unexpected error
    (a bug) also gets one line and status 2; its traceback goes to a file named in the line,
    and to the terminal with ``--debug``.
    """

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (
            typer.Exit,
            typer.Abort,
            click.exceptions.Exit,
            click.exceptions.Abort,
            click.ClickException,
            _TYPER_ERROR,
        ):
            raise  # typer's own exits and usage errors: already one line and a status
        except LedgerUnavailable as exc:
            err_console.print(f"[red]ledger unavailable:[/] {exc.message}", highlight=False)
            raise typer.Exit(3) from None
        except RegistryError as exc:
            err_console.print(f"[red]error:[/] {_message(exc)}", highlight=False)
            raise typer.Exit(2) from None
        except Exception as exc:
            if _debug:
                raise
            where = _save_traceback(exc)
            err_console.print(
                f"[red]unexpected error:[/] {type(exc).__name__}: {_first_line(exc)} "
                f"(the traceback is in {where}; --debug prints it)",
                highlight=False,
            )
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _message(exc: RegistryError) -> str:
    from registry.ledger.embedded import REPAIR_HINT, JournalCorrupt

    if isinstance(exc, JournalCorrupt):
        return f"{exc.message}; {REPAIR_HINT}"
    return exc.message


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else "(no message)"


def _save_traceback(exc: BaseException) -> str:
    """Write the traceback to an owner-only file in the temp directory; return its path."""
    import tempfile
    import traceback

    fd, path = tempfile.mkstemp(prefix="prioreg-error-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("".join(traceback.format_exception(exc)))
    return path


@app.command()
@friendly
def demo() -> None:
    """Run the whole story on the embedded chain and print it as tables."""
    from registry.cli.demo import run_demo

    raise typer.Exit(run_demo(console))


@app.command()
@friendly
def number(
    office: Annotated[str, typer.Argument(help="The office's WIPO ST.3 code, e.g. EP, US, JP, WO.")],
    application_number: Annotated[str, typer.Argument(metavar="NUMBER", help="The number as written.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Read an application number the way its office writes it and print its canonical form."""
    from registry.domain.numbers import normalize

    result = normalize(office, application_number)
    payload = {
        "ipOfficeCode": result.office,
        "canonical": result.canonical,
        "display": result.display,
        "checkDigit": result.check_digit,
        "formatVerified": result.verified_format,
        "receivingOffice": result.receiving_office,
    }
    if as_json:
        print(json.dumps(payload))
        return
    for key, value in payload.items():
        if value is not None:
            console.print(f"{key:>16}: {value}", highlight=False)


@app.command()
@friendly
def bench(
    filings: Annotated[
        int, typer.Option("--filings", min=300, help="How many synthetic filings to anchor (3700000: a year).")
    ] = 30_000,
    output: Annotated[str, typer.Option("--output", help="Where to write the results as JSON.")] = "bench/results.json",
    http_seconds: Annotated[
        float, typer.Option("--http-seconds", help="How long the HTTP load lasts (0: none).")
    ] = 5.0,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Concurrent HTTP clients.")] = 32,
    workers: Annotated[
        int | None, typer.Option("--workers", min=0, help="Processes preparing filings. \\[default: cores - 1]")
    ] = None,
    serve_workers: Annotated[
        int | None,
        typer.Option("--serve-workers", min=1, help="prioreg serve --workers N measured beside 1. \\[default: cores]"),
    ] = None,
    served_filings: Annotated[
        int, typer.Option("--served-filings", min=1, help="Filings anchored through the served gateway.")
    ] = 10_000,
    chain_db: Annotated[
        str,
        typer.Option(
            "--chain-db",
            help="Where the embedded chain keeps py-evm's database: memory, disk (a SQLite file in the run's "
            "temporary directory, bounded caches) or auto (disk from 4,000,000 filings).",
        ),
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Measure anchoring, gas, verification and the index against the naive way, side by side (issues 6, 18)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from registry.bench import BenchConfig, run_bench
    from registry.bench.report import print_report
    from registry.cli.serve import bench_app

    # The eth_call baseline runs as long as the HTTP load (at most 3 s: it is slow and steady).
    baseline = min(3.0, max(1.0, http_seconds))
    config = BenchConfig(
        filings=filings,
        http_seconds=http_seconds,
        concurrency=concurrency,
        workers=workers,
        baseline_seconds=baseline,
        serve_workers=serve_workers,
        served_filings=served_filings,
        chain_db=chain_db,
    )
    if chain_db not in ("memory", "disk", "auto"):
        raise typer.BadParameter(f"memory, disk or auto, not {chain_db!r}", param_hint="--chain-db")
    path = _writable_output(Path(output))  # before the run: a run of minutes is not lost to a typo
    log = err_console.print if as_json else console.print
    columns = (TextColumn("batched"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True, disable=filings < 100_000) as bar:
        task = bar.add_task("batched", total=None)
        results = run_bench(
            config,
            http=http_seconds > 0,
            app_for=bench_app,
            log=lambda message: log(message, highlight=False),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    path.write_text(json.dumps(results, indent=2) + "\n")
    if as_json:
        print(json.dumps(results))
        return
    print_report(results, console)
    console.print(f"results written to {path}", highlight=False)


def _writable_output(path: Path) -> Path:
    """``path``, its folder made, once a file can be written there (else a usage error naming ``--output``)."""
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a directory; give the name of a file", param_hint="--output")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise typer.BadParameter(f"cannot make {path.parent}: {exc.strerror}", param_hint="--output") from None
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise typer.BadParameter(f"{path} cannot be written", param_hint="--output")
    return path


def app_of(module: str) -> typer.Typer:
    """The ``app`` of a command-group module, its commands made friendly."""
    import importlib

    group: typer.Typer = importlib.import_module(module).app
    for command in group.registered_commands:
        if command.callback is not None:
            command.callback = friendly(command.callback)
    return group


def _mount_subcommands() -> None:
    from registry.cli.governance import register as register_governance
    from registry.cli.keys import app as keys_app
    from registry.cli.ledger import register
    from registry.cli.serve import register as register_serve
    from registry.cli.state import app as state_app

    for command in keys_app.registered_commands:
        if command.callback is not None:
            command.callback = friendly(command.callback)
    app.add_typer(keys_app, name="keys")
    for command in state_app.registered_commands:
        if command.callback is not None:
            command.callback = friendly(command.callback)
    app.add_typer(state_app, name="state")
    app.add_typer(app_of("registry.cli.tokens"), name="tokens")
    app.add_typer(app_of("registry.cli.network"), name="network")
    app.add_typer(app_of("registry.cli.package"), name="package")
    register(app, friendly)
    register_serve(app, friendly)
    register_governance(app, friendly)
    from registry.cli.evidence import check_evidence_cmd

    app.command("check-evidence")(friendly(check_evidence_cmd))


_mount_subcommands()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="prioreg")


if __name__ == "__main__":  # pragma: no cover
    main()
