"""Reading text files with clear errors for wrong encodings, and writing files atomically."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from ilner.errors import DataError

_BOMS = (  # longest first: the UTF-32-LE BOM starts with the UTF-16-LE one
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def decode_bytes(data: bytes, source: str) -> tuple[str, str]:
    """Decode file contents; returns ``(text, encoding)``.

    UTF-8 (with or without BOM) is the format; UTF-16/32 with a byte-order mark is decoded too
    (the encoding is returned so reports can say so). Anything else is a DataError that names the
    file, the line and what was found.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.replace("-sig", "")
            except UnicodeDecodeError as error:
                raise DataError(source, f"starts with a {encoding} byte-order mark but is not valid "
                                f"{encoding}: {error.reason}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        if b"\x00" in data[:65536]:
            raise DataError(source, _diagnose_nul_bytes(data), line=line) from None
        raise DataError(
            source,
            f"is not UTF-8: byte 0x{data[error.start]:02x} cannot be decoded; convert the file to "
            "UTF-8 (e.g. iconv -f ENCODING -t UTF-8)",
            line=line,
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DataError(source, _diagnose_nul_bytes(data), line=line)
    return text, "utf-8"


def _diagnose_nul_bytes(data: bytes) -> str:
    """Say whether NUL bytes mean UTF-16 without a byte-order mark or a binary file."""
    head = data[:65536]
    head = head[: len(head) - len(head) % 2]
    for encoding, zeros in (("utf-16-le", head[1::2].count(0)), ("utf-16-be", head[0::2].count(0))):
        if zeros * 10 >= head.count(0) * 9:
            try:
                decoded = head.decode(encoding)
            except UnicodeDecodeError:
                continue
            if all(c >= " " or c in "\t\r\n" for c in decoded):
                name = encoding.upper().replace("16-", "16")  # iconv's spelling: UTF-16LE
                return f"looks like {name} without a byte-order mark; convert it to UTF-8 (iconv -f {name} -t UTF-8)"
    return "is a binary file, not text"


def read_text(path: str | Path) -> tuple[str, str]:
    """Read and decode a text file (see ``decode_bytes``)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError(str(path), "no such file") from None
    except IsADirectoryError:
        raise DataError(str(path), "is a directory, not a file") from None
    except OSError as error:
        raise DataError(str(path), f"cannot be read: {error.strerror}") from None
    return decode_bytes(data, str(path))


def check_writable(path: str | Path, folder: bool = False) -> None:
    """Raise the OSError (naming ``path``) that writing the file ``path``, or with ``folder`` files
    into the folder ``path``, would end in, so that commands can refuse before long work: a folder
    where a file is wanted, a file where a folder is, no permission, a read-only file system.
    Folders that do not exist yet count as writable where their nearest existing parent is."""
    target = Path(os.path.realpath(path))  # writes go through a symbolic link to its target
    if target.exists() and target.is_dir() != folder:
        code = errno.EISDIR if target.is_dir() else errno.ENOTDIR
        raise OSError(code, os.strerror(code), str(path))
    if target.exists() and not folder and not os.access(target, os.W_OK):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(path))
    parent = target if folder else target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():  # a file where a folder of the path should be
        raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
    if hasattr(os, "statvfs") and os.statvfs(parent).f_flag & os.ST_RDONLY:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(path))


@contextmanager
def atomic_output(path: str | Path) -> Iterator[TextIO]:
    """A UTF-8 text handle on a temporary file beside ``path``, renamed over it only when the block
    ends without an error: readers never see half a file, and a failure (Ctrl-C, a bad later input,
    a full disk) leaves an earlier file untouched and no partial one.

    A symbolic link is written through (its target is replaced; the link stays), missing folders
    are created, and the file gets the mode a plain ``open()`` would give (an existing file's, else
    0666 less the umask), not mkstemp's private 0600. Errors of the writing itself name ``path``.
    """
    check_writable(path)
    target = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else new_file_mode()
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise _naming(path, error) from error
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as error:
        Path(tmp).unlink(missing_ok=True)
        # A failed write or flush (a full disk) names no file, and the rename names the temporary
        # one, which the user never asked for; an error naming another file (an input) stays as it is.
        if isinstance(error, OSError) and error.filename in (None, tmp):
            raise _naming(path, error) from error
        raise


def _naming(path: str | Path, error: OSError) -> OSError:
    """The same error, naming ``path``."""
    return OSError(error.errno, error.strerror, str(path))


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` as UTF-8 through ``atomic_output``."""
    with atomic_output(path) as handle:
        handle.write(text)


def new_file_mode() -> int:
    """The mode ``open()`` gives a new file: 0666 less the process umask (which can only be read
    by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask
