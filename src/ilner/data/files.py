"""Reading text files with clear errors for wrong encodings, and writing files atomically.

One decoding policy for every command (data commands read whole files, ``ilner predict`` streams
its text input): UTF-8, with or without a byte-order mark; UTF-16/32 with a byte-order mark. The
encoding is told by the first bytes. NUL bytes are refused: many at the start mean UTF-16 without
a byte-order mark (or a binary file), one in UTF-8 text is named with its line. A line longer than
``MAX_LINE_CHARS`` characters is refused as soon as it is seen, so that an endless input
(``/dev/zero``, a multi-gigabyte line) ends in one clear error, not in exhausted memory.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import lzma
import os
import re
import stat
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from ilner.errors import DataError

MAX_LINE_CHARS = 1_000_000  # one CoNLL line or JSONL record; ~10,000 times a long sentence
_CHUNK = 1 << 20  # bytes read at a time
_LINE_BREAK = re.compile("[\r\n]")
_STRAY_NUL = "has a NUL byte (U+0000), which text never holds; remove it (e.g. tr -d '\\000' < FILE > FIXED)"
_BOMS = (  # longest first: the UTF-32-LE BOM starts with the UTF-16-LE one
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def read_stream(handle: BinaryIO, source: str, max_line: int | None = MAX_LINE_CHARS) -> tuple[str, str]:
    """``(text, encoding)`` of a whole binary stream (standard input, say), read in chunks so that
    an endless one ends at its first over-long line."""
    encoding, chunks = decode_stream(handle, source, max_line)
    return "".join(chunks), encoding


def decode_stream(
    handle: BinaryIO, source: str, max_line: int | None = MAX_LINE_CHARS,
) -> tuple[str, Iterator[str]]:
    """``(encoding, text chunks)`` of a binary stream, decoded as it is read.

    The first bytes are read at once (they tell the encoding); the rest is read and decoded lazily,
    at most one read per chunk, so a pipe is tagged as it arrives. ``max_line=None`` allows lines of
    any length (the caller cuts them itself).
    """
    read = getattr(handle, "read1", handle.read)
    head = read(_CHUNK)
    while head and len(head) < 4 and any(bom.startswith(head) and bom != head for bom, _ in _BOMS):
        more = read(_CHUNK)
        if not more:
            break
        head += more
    codec = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    if codec is None:
        codec = "utf-8"
        nul = head.find(b"\x00")
        if nul >= 0:
            raise DataError(source, _diagnose_nul_bytes(head), line=head.count(b"\n", 0, nul) + 1)
    return codec.replace("-sig", ""), _decoded(head, read, source, codec, max_line)


def _decoded(head: bytes, read, source: str, codec: str, max_line: int | None) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(codec)()
    line, run = 1, 0  # line number at the start of the chunk; characters since its last line break
    data = head
    while True:
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            raise _undecodable(source, codec, error, line) from None
        nul = text.find("\x00")
        if nul >= 0:
            raise DataError(source, _STRAY_NUL, line=line + text.count("\n", 0, nul))
        if max_line is not None and run + len(text) > max_line:
            _refuse_long_lines(text, run, max_line, source, line)
        last_break = max(text.rfind("\n"), text.rfind("\r"))
        run = run + len(text) if last_break < 0 else len(text) - last_break - 1
        line += text.count("\n")
        if text:
            yield text
        if not data:
            return
        data = read(_CHUNK)


def _refuse_long_lines(text: str, run: int, max_line: int, source: str, line: int) -> None:
    """A DataError if a line of ``text`` (the first one continuing ``run`` characters read before)
    is longer than ``max_line`` characters."""
    start = 0
    for end in [m.start() for m in _LINE_BREAK.finditer(text)] + [len(text)]:
        if run + end - start > max_line:
            raise DataError(
                source, f"a line longer than {max_line:,} characters, the most one line (a CoNLL "
                "token line, a JSONL record) may hold; split it, or check that this is a text corpus",
                line=line + text.count("\n", 0, start),
            )
        run, start = 0, end + 1


def _undecodable(source: str, codec: str, error: UnicodeDecodeError, line: int) -> DataError:
    """The error for bytes the file's encoding cannot decode."""
    if codec.startswith("utf-8"):
        return DataError(
            source,
            f"is not valid UTF-8: byte 0x{error.object[error.start]:02x} cannot be decoded; convert the file to "
            "UTF-8 (e.g. iconv -f ENCODING -t UTF-8)",
            line=line + error.object.count(b"\n", 0, error.start),
        )
    return DataError(source, f"starts with a {codec} byte-order mark but is not valid {codec}: {error.reason}")


def _diagnose_nul_bytes(head: bytes) -> str:
    """Say whether NUL bytes mean UTF-16 without a byte-order mark, a binary file, or a stray byte.

    UTF-16 puts the high byte of every character at every other offset: NUL for ASCII, one value
    per script block for the rest (0x09 for Devanagari), so that half of the bytes takes only a few
    values. A few NULs in otherwise valid UTF-8 are stray bytes, to be named with their line.
    """
    nuls = head.count(0)
    even = head[: len(head) - len(head) % 2]
    for encoding, high in (("utf-16-le", even[1::2]), ("utf-16-be", even[0::2])):
        if high.count(0) * 10 >= nuls * 9 and len(set(high)) <= 4:
            try:
                decoded = even.decode(encoding)
            except UnicodeDecodeError:
                continue
            if all(c >= " " or c in "\t\r\n" for c in decoded):
                name = encoding.upper().replace("16-", "16")  # iconv's spelling: UTF-16LE
                return f"looks like {name} without a byte-order mark; convert it to UTF-8 (iconv -f {name} -t UTF-8)"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)  # a character cut at the end of head is fine
    except UnicodeDecodeError:
        return "is a binary file, not text"
    return "is a binary file, not text" if nuls * 8 > len(head) else _STRAY_NUL


def read_text(path: str | Path, max_line: int | None = MAX_LINE_CHARS) -> tuple[str, str]:
    """Read and decode a text file (see the module docstring); returns ``(text, encoding)``."""
    try:
        with open(path, "rb") as handle:
            return read_stream(handle, str(path), max_line)
    except FileNotFoundError:
        raise DataError(str(path), "no such file") from None
    except IsADirectoryError:
        raise DataError(str(path), "is a directory, not a file") from None
    except OSError as error:
        raise DataError(str(path), f"cannot be read: {error.strerror}") from None


def member_source(path: str | Path, member: str) -> str:
    """How errors name a file inside an archive: ``uner.txt.tar.gz[ner/uner.txt]``."""
    return f"{path}[{member}]"


def read_member(path: str | Path, member: str, max_line: int | None = MAX_LINE_CHARS) -> tuple[str, str]:
    """Read and decode one member of a tar archive (gzip, xz, bzip2 or none) in memory.

    Nothing is extracted and no name from the archive is ever used as a path: the member is
    looked up by its exact name and read as a stream, so a hostile archive cannot write anywhere.
    """
    try:
        with tarfile.open(path, "r:*") as archive:
            try:
                info = archive.getmember(member)
            except KeyError:
                files = [m.name for m in archive.getmembers() if m.isfile()]
                listed = ", ".join(files[:10]) + (f" and {len(files) - 10} more" if len(files) > 10 else "")
                raise DataError(str(path), f"the archive has no member {member!r}; it holds {listed or 'no files'}: "
                                "give one of those, or check that this is the right archive") from None
            handle = archive.extractfile(info) if info.isfile() else None
            if handle is None:
                raise DataError(str(path), f"member {member!r} of the archive is not a regular file")
            return read_stream(handle, member_source(path, member), max_line)
    except FileNotFoundError:
        raise DataError(str(path), "no such file") from None
    except IsADirectoryError:
        raise DataError(str(path), "is a directory, not a file") from None
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as error:
        raise DataError(str(path), f"is not a readable tar archive ({error}); download it again") from None
    except OSError as error:  # gzip's BadGzipFile is an OSError with no file name
        if error.filename is None and error.errno is None:
            raise DataError(str(path), f"is not a readable tar archive ({error}); download it again") from None
        raise DataError(str(path), f"cannot be read: {error.strerror}") from None


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
    A path that is not a regular file (``/dev/stdout``, a FIFO, a device) is written in place, as
    a stream: replacing it would break what reads it.
    """
    if _is_stream(path):
        try:
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                yield handle
        except OSError as error:
            raise (_naming(path, error) if error.filename is None else error) from error
        return
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


def _is_stream(path: str | Path) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a folder (after symbolic links)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _naming(path: str | Path, error: OSError) -> OSError:
    """The same error, naming ``path``."""
    return OSError(error.errno, error.strerror, str(path))


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` as UTF-8 through ``atomic_output``."""
    with atomic_output(path) as handle:
        handle.write(text)


def sha256_of(path: str | Path) -> str:
    """The hex sha256 of a file, read in blocks (weights files are large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def new_file_mode() -> int:
    """The mode ``open()`` gives a new file: 0666 less the process umask (which can only be read
    by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask
