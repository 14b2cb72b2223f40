"""The typer application, its error handling and the helpers every command shares."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from symbackprop.errors import SymbackpropError

app = typer.Typer(
    name="symbackprop",
    help="Backpropagation worked exactly, the way the lectures work it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help texts name TOML sections like [stated] and [train]: print them, don't read them as markup.
    rich_markup_mode=None,
)

EXIT_DISAGREEMENT = 1
EXIT_BAD_INPUT = 2


def _print_version(value: bool) -> None:
    if value:
        from symbackprop import __version__

        sys.stdout.write(f"symbackprop {__version__}\n")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Backpropagation worked exactly, the way the lectures work it."""


# rich is imported when a command prints, not at start-up: --help must stay fast.
def console():
    """Standard output, with colour where it is a terminal.

    Markup is off: titles, equations ([s > 0] is the step's Iverson bracket), stated forms and
    students' answers print as written, never read as rich's [style] tags. Styles are given
    with rich Text instead.
    """
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, markup=False)


def error_console():
    """Standard error: the one-line messages of bad input, and progress bars."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def reports_errors(command: Callable) -> Callable:
    """Turn the library's errors into one line on stderr and exit status 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except SymbackpropError as error:
            print_error(str(error))
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except BrokenPipeError:  # the reader went away (| head): stop quietly with 1, as rich's console does
            _silence_stdout()
            raise typer.Exit(1) from None
        except OSError as error:  # standard output on a full disk or /dev/full, a fork refused, …
            _silence_stdout()
            where = f"{error.filename}: " if error.filename else ""
            print_error(f"{where}{error.strerror or error}")
            raise typer.Exit(EXIT_BAD_INPUT) from None

    return wrapper


def print_error(message: str) -> None:
    """The one line on stderr that every error of bad input gets."""
    error_console().print(f"symbackprop: error: {message}", markup=False)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that Python's flush at exit cannot fail a second time."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def warn(messages) -> None:
    """Print warnings (a param that does not reach the loss, …) on stderr."""
    for message in messages:
        error_console().print(f"symbackprop: warning: {message}", markup=False)


def parse_assignments(pairs: list[str], option: str) -> dict[str, str]:
    """``NAME=VALUE`` options as a dict; a malformed or repeated one is bad input."""
    found: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not name or not value:
            raise SymbackpropError(f"expected NAME=VALUE, got {pair!r}", key=option)
        if name in found:
            raise SymbackpropError(f"{name!r} is given twice", key=option)
        found[name] = value
    return found


def exercise_references(exercises: list[str] | str | None, every: bool, default: str | None = None) -> list[str]:
    """What a command runs over: each EX (a folder: its .toml files in name order), every catalog
    file for ``--all``, else ``default`` if it has one.
    """
    from symbackprop.exercise import catalog

    given = [exercises] if isinstance(exercises, str) else list(exercises or [])
    if every and given:
        raise SymbackpropError("give exercises or --all, not both", key="--all")
    if every:
        return [str(entry.path) for entry in catalog.entries()]
    if not given:
        if default is None:
            raise SymbackpropError("give an exercise or --all (one of them)", key="--all")
        given = [default]
    found: list[str] = []
    for reference in given:
        folder = Path(reference)
        if folder.is_dir():
            files = sorted(folder.glob("*.toml"))
            if not files:
                raise SymbackpropError("a folder with no .toml exercise files", source=reference)
            found += [str(path) for path in files]
        else:
            found.append(reference)
    return list(dict.fromkeys(found))  # the same file named twice is run once


def same_file(path: str | Path, source: str | Path) -> bool:
    """Whether ``path`` names the file ``source`` (through a link or another spelling too)."""
    try:
        return Path(path).resolve() == Path(source).resolve() or os.path.samefile(path, source)
    except OSError:
        return False


def check_outputs(outputs: dict[str, str | None], inputs: list[str]) -> None:
    """Refuse output paths that would lose a report or an input, before any work is done.

    An input (the answers file, the exercise file, the roster) is never overwritten; a directory,
    a FIFO nobody reads and a place this user cannot write are refused now rather than after the work.
    """
    written: dict[Path, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        if not path.strip():
            raise SymbackpropError("expected a file name, not an empty one", key=option)
        for source in inputs:
            if same_file(path, source):
                raise SymbackpropError(f"{path} is an input of this command: it would be overwritten", key=option)
        why = unwritable(Path(path))
        if why:
            raise SymbackpropError(f"{path}: {why}", key=option)
        other = written.setdefault(Path(path).resolve(), option)
        if other != option:
            raise SymbackpropError(f"{path} is also the {other} file: one report would overwrite the other", key=option)


def unwritable(path: Path) -> str | None:
    """Why a report could not be written at ``path``, or None (a new file, a regular one, or a pipe being read)."""
    import errno

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        return f"cannot use: {error.strerror or error}"
    if mode is not None and stat.S_ISDIR(mode):
        return "is a directory"
    if mode is not None and not stat.S_ISREG(mode):
        try:  # a device or a pipe is written to: it must open now without waiting for a reader
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        except OSError as error:
            if error.errno == errno.ENXIO:
                return "a FIFO that nobody reads"
            return f"cannot write: {error.strerror or error}"
        return None
    parent = path.parent
    if not parent.is_dir():
        return f"no such directory {parent}"
    # The report is written to a temporary file beside it, then renamed: the folder must be writable.
    if not os.access(parent, os.W_OK | os.X_OK) or (mode is not None and not os.access(path, os.W_OK)):
        return "no permission to write there"
    return None


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` through a temporary file, so that a reader sees the old content or the new, never half.

    Only a regular file (or a new one) is replaced: a device or a pipe (/dev/stdout, a FIFO) is
    written to, since replacing it would swap the device for a file. The file keeps its mode,
    and a new one gets the umask's, as open() would give it.
    """
    if not str(path).strip():
        raise SymbackpropError("expected a file name, not an empty one", source=repr(str(path)))
    target = Path(path)
    temporary = None
    try:
        existing = target.stat() if target.exists() else None
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            with open(target, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            return
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:  # newline="": CSV writes its own
            os.fchmod(out.fileno(), stat.S_IMODE(existing.st_mode) if existing else _new_file_mode())
            out.write(text)
        os.replace(temporary, target)
    except OSError as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise SymbackpropError(f"cannot write: {error.strerror or error}", source=str(path)) from None


def _new_file_mode() -> int:
    """0o666 less the umask: what open() gives a new file (mkstemp's own is 0o600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def print_json(data: object) -> None:
    """JSON on standard output, exactly as built (no rich markup, no wrapping)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def number(value: float | None, digits: int = 6) -> str:
    """A value for the terminal: six significant digits by default, as a lecture table would round."""
    if value is None:
        return "—"
    return f"{value:.{digits}g}"


def check_digits(digits: int) -> int:
    """``--digits N``: significant figures for the terminal, 1 to 17 (a float holds no more)."""
    if not 1 <= digits <= 17:
        raise SymbackpropError(f"expected 1 to 17 significant figures, not {digits}", key="--digits")
    return digits


def main(args: list[str] | None = None) -> None:
    """The console script's entry point: run the command in ``args`` (default: sys.argv) and exit.

    typer's own usage errors (an unknown option, a missing argument, a value of the wrong type)
    become one line, as the library's errors do, instead of click's usage block.
    """
    from typer.exceptions import TyperException

    try:
        alone = _command_alone(sys.argv[1:] if args is None else args)
        code = _call(alone) if alone is not None else app(args, prog_name="symbackprop", standalone_mode=False)
    except TyperException as error:
        context = getattr(error, "ctx", None)
        message = error.format_message().rstrip(".")
        # The bare command raises its help as the error's message: that shows as click shows it.
        if context is not None and message == context.get_help().rstrip("."):
            error_console().print(message, markup=False)
        else:
            hint = f" (try '{context.command_path} --help')" if context is not None else ""
            print_error(f"{message}{hint}")
        sys.exit(error.exit_code)
    except typer.Abort:
        error_console().print("symbackprop: aborted", markup=False)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _command_alone(args: list[str]) -> Callable[[], object] | None:
    """The command's function if ``args`` is a command's name alone and each of its parameters has a default.

    Called with no arguments it gets the defaults its signature declares, which are the values
    typer passes when no option is given (a test compares the two for every command). So the
    common ``symbackprop derive`` runs without typer building a converter for every option, which
    imports pydantic and takes longer than deriving the built-in example.
    """
    if len(args) != 1:
        return None
    for command in app.registered_commands:
        callback = command.callback
        if callback is None or (command.name or callback.__name__.lower().replace("_", "-")) != args[0]:
            continue
        parameters = inspect.signature(callback).parameters.values()
        return callback if all(parameter.default is not parameter.empty for parameter in parameters) else None
    return None


def _call(command: Callable[[], object]) -> int:
    """Run a command with its defaults; its exit status, as typer's run of it would give it."""
    try:
        command()
    except typer.Exit as done:  # reports_errors turns bad input into a message and Exit(2)
        return done.exit_code
    except KeyboardInterrupt:
        return 130  # click's status for an interrupted command
    return 0
