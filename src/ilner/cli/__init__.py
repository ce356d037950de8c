"""The ``ilner`` command line: thin wrappers over the library, one module per command."""

from __future__ import annotations

import errno
import os
import sys
import traceback

from ilner.cli import benchmark, data_check, data_convert, data_fetch, data_repair, data_stats, evaluate, export, predict, pretrain, serve, train  # noqa: F401
from rich.markup import escape

from ilner.cli._app import Escaped, Session, app, err_console
from ilner.errors import IlnerError
from ilner.extras import missing_extra

# Exit codes (README "Exit codes", `ilner --help`): 1 is `ilner data check`'s "data unusable".
USAGE, INTERNAL, INTERRUPTED, STDOUT_CLOSED = 2, 3, 130, 141

# What to do about an operating-system error on a file, by errno.
_OS_HINTS = {
    errno.EACCES: "check the permissions of the file and its folder, or choose another path",
    errno.EPERM: "check the permissions of the file and its folder, or choose another path",
    errno.EROFS: "the file system is read-only: choose another path",
    errno.ENOSPC: "the disk is full: free some space or choose another path",
    errno.EDQUOT: "the disk quota is used up: free some space or choose another path",
    errno.EISDIR: "give the path of a file, not of a folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder: choose another path",
    errno.ENOENT: "check the path",
    errno.ENAMETOOLONG: "choose a shorter path",
    errno.ELOOP: "check the symbolic links on the path",
}


def main() -> None:
    """Entry point: run the app and turn every failure into one line and a documented exit code."""
    Session.debug = False
    try:
        app()  # exits through SystemExit: 0, 1 (data check), 2 (usage errors, printed by click)
    except SystemExit:
        _flush_stdout()
        raise
    except Escaped as escaped:
        sys.exit(_report(escaped.error))
    except BaseException as error:  # noqa: BLE001 - the one place every failure is reported
        sys.exit(_report(error))


def _flush_stdout() -> None:
    """Flush standard output inside main, so that a reader gone early (``| head``) is seen here
    and not as an error at interpreter exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        sys.exit(_report(BrokenPipeError()))


def _report(error: BaseException) -> int:
    """Print one line for ``error`` (and its traceback with --debug); return the exit code."""
    if isinstance(error, BrokenPipeError):
        _silence_stdout()
        return STDOUT_CLOSED
    if Session.debug:
        traceback.print_exception(error)
    if isinstance(error, ModuleNotFoundError):  # predict/train/export without their extra: name the install
        error = missing_extra(error) or error
    if isinstance(error, KeyboardInterrupt):
        _print("[bold red]ilner: interrupted[/bold red]")
        return INTERRUPTED
    if isinstance(error, IlnerError):
        _print(f"[bold red]ilner: error:[/bold red] {escape(str(error))}")
        return USAGE
    if isinstance(error, OSError) and (error.filename is not None or error.errno in _OS_HINTS):
        where = "" if error.filename is None else f"{error.filename}: "
        hint = _OS_HINTS.get(error.errno or 0, "check the path")
        _print(f"[bold red]ilner: error:[/bold red] {escape(f'{where}{error.strerror}; {hint}')}")
        return USAGE
    message = " ".join(str(error).split())
    message = f"{message[:300]}…" if len(message) > 300 else message
    _print(f"[bold red]ilner: internal error:[/bold red] {escape(type(error).__name__)}"
           f"{escape(': ' + message) if message else ''} (run with --debug for the traceback)")
    return INTERNAL


def _print(markup: str) -> None:
    try:
        err_console.print(markup, soft_wrap=True)
    except OSError:  # standard error closed too: the exit code is all that is left
        pass


def _silence_stdout() -> None:
    """Point standard output at /dev/null, as Python's documentation advises for SIGPIPE, so that
    flushing it at exit raises no second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (captured output in tests)
        pass
