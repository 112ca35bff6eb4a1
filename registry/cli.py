"""``prioreg``: the registry from a terminal (API.md, "Command line").

Thin commands over the library: each parses its arguments, calls ``registry`` and prints a rich
table for people or ``--json`` for machines. Errors print one line and exit with status 2; no
stack trace reaches the user.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

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


def friendly(fn: F) -> F:
    """Turn registry errors into one line on stderr and exit status 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LedgerUnavailable as exc:
            err_console.print(f"[red]ledger unavailable:[/] {exc.message}", highlight=False)
            raise typer.Exit(3) from None
        except RegistryError as exc:
            err_console.print(f"[red]error:[/] {exc.message}", highlight=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


@app.command()
@friendly
def demo() -> None:
    """Run the whole story on the embedded chain and print it as tables."""
    from registry.demo import run_demo

    raise typer.Exit(run_demo(console))


@app.command()
@friendly
def number(
    office: Annotated[str, typer.Argument(help="The office's WIPO ST.3 code, e.g. EP, US, JP, WO.")],
    application_number: Annotated[str, typer.Argument(metavar="NUMBER", help="The number as written.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Read an application number the way its office writes it and print its canonical form."""
    from registry.numbers import normalize

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


def _mount_subcommands() -> None:
    from registry.cli_keys import app as keys_app
    from registry.cli_ledger import register

    app.add_typer(keys_app, name="keys")
    register(app, friendly)


_mount_subcommands()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="prioreg")


if __name__ == "__main__":  # pragma: no cover
    main()
