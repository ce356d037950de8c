"""Registered datasets: where each file lives upstream, its checksum, and where to find it here.

A file is looked up, in order, in a mirror (``--data-dir`` or ``ILNER_DATA_DIR``, laid out as
``<dataset>/<path in the mirror>``), then in the cache (``ILNER_CACHE`` or ``~/.cache/ilner``),
and is otherwise downloaded from its pinned upstream commit and checked against its sha256.

Datasets are addressed as ``il-ner:hindi:train``; the subset and split accept shell-style
wildcards (``il-ner:*:test``). Anything else is read as a file path.

Besides IL-NER and HiNER, the registry holds outside corpora in layouts of their own (inline
markup, IO tags, a sentence-id column, JSON arrays, a file inside a tar archive): their test
splits (and corpora released whole) as benchmarks, and the training splits that the mirror
holds. Each entry says how its file is read (``file_format``, ``member``, ``scheme``,
``hyphenless``), in which tagset, and which mappings take that tagset onto ``il-ner`` and
``coarse``, so that commands read every registered file alike. Where upstream has no dev split,
one is carved off its train file (``Carve``): two entries share the file, each reads its part
(MahaNER's validation split, the only one mirrored, is carved so too).
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from ilner.data.files import new_file_mode, sha256_of
from ilner.data.tagsets import Annotation, load_mapping, load_tagset
from ilner.errors import DatasetUnavailableError, IlnerError

# Upstream files are fetched from here; tests point it at a local server.
RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"

_IL_NER_REPO, _IL_NER_COMMIT = "SankalpBahad/IL-NER", "079e9184d819cf8114e989b0b9380b5ef4faa9e2"
_HINER_REPO, _HINER_COMMIT = "cfiltnlp/HiNER", "5e12e796a7a4b7b8880b2e876adb27894501a8e9"


@dataclass(frozen=True)
class Carve:
    """A dev split set apart from a train file that has none upstream (``dev``), or the rest of
    it (the train split).

    A sentence is in the dev part when the sha256 of ``salt`` and its words falls in the lowest
    ``share`` of the range: no random generator (stable across Python versions), each sentence
    on its own (the part does not move when the reader splits another sentence differently), and
    repeated sentences on one side, so that dev shares no sentence with train.
    """

    dev: bool
    share: float = 0.1
    salt: str = "ilner-dev"
    why: str = "upstream has no dev split"

    def keeps(self, tokens: Sequence[str]) -> bool:
        digest = hashlib.sha256("\t".join((self.salt, *tokens)).encode("utf-8")).digest()
        return (int.from_bytes(digest[:8], "big") < self.share * 2**64) == self.dev

    def describe(self, file_name: str) -> str:
        """Where the part comes from, for ``ilner data stats``."""
        how = f"chosen by a sha256 of their words, salt {self.salt!r}; {self.why}"
        if self.dev:
            return f"carved off {file_name}: about {self.share:.0%} of its sentences ({how})"
        return f"{file_name} without the about {self.share:.0%} of its sentences carved off as dev ({how})"


@dataclass(frozen=True)
class DataFile:
    """One registered file: its address parts, tagset, pinned upstream location, and how to read it.

    ``upstream_path`` and ``sha256`` are those of the file as served, an archive included;
    ``member`` names the file inside the archive that holds the corpus. ``mappings`` names the
    built-in mappings from ``tagset`` onto other tagsets (see ``mapping_to``). ``benchmark``
    files are what ``ilner benchmark`` scores by default; ``carve`` reads a part of the file.
    """

    dataset: str
    subset: str
    split: str
    language: str
    tagset: str
    repo: str
    commit: str
    upstream_path: str
    mirror_path: str
    sha256: str
    _: KW_ONLY
    file_format: str = "conll"  # one of ilner.data.io.READ_FORMATS
    member: str | None = None  # the corpus inside a .tar.gz/.tar.xz archive
    scheme: str = "auto"  # the tagging scheme the file is written in, when it is known
    hyphenless: bool = False  # tags written BNEP, INEO for B-NEP, I-NEO
    licence: str = "none stated"
    mappings: tuple[str, ...] = ()
    benchmark: bool = False
    carve: Carve | None = None

    @property
    def address(self) -> str:
        return f"{self.dataset}:{self.subset}:{self.split}"

    @property
    def url(self) -> str:
        return RAW_URL.format(repo=self.repo, commit=self.commit, path=self.upstream_path)

    def mapping_to(self, target: str) -> str | None:
        """The name of the built-in mapping from this file's tagset onto ``target`` (a tagset
        name); None when the file is in ``target`` already."""
        if target == self.tagset:
            return None
        found = next((m for m in self.mappings if m == f"{self.tagset}_to_{target}"), None)
        if found is None:
            known = ", ".join(self.mappings) or "none"
            raise IlnerError(f"{self.address} has no mapping onto tagset {target!r}; its mappings: {known}")
        return found

    def annotation(self, target: str = "il-ner") -> Annotation:
        """What this file annotates of ``target``'s types: fully, partly or not at all."""
        name = self.mapping_to(target)
        found = Annotation.complete(load_tagset(target)) if name is None else load_mapping(name).annotation
        assert found is not None  # set for every mapping read from a file
        return found


def _il_ner(language: str, split: str, sha256: str) -> DataFile:
    name = language.capitalize()
    return DataFile(
        "il-ner", language, split, language, "il-ner", _IL_NER_REPO, _IL_NER_COMMIT,
        f"Datasets/{name}/{name}-{split}.txt", f"il-ner/{name}/{name}-{split}.txt", sha256,
        licence="CC BY 4.0", mappings=("il-ner_to_coarse",),
    )


def _hiner(subset: str, sha256: str) -> DataFile:
    tagset = f"hiner-{subset}"
    return DataFile(
        "hiner", subset, "validation", "hindi", tagset, _HINER_REPO, _HINER_COMMIT,
        f"data/{subset}/validation.conll", f"hiner/{subset}/validation.conll", sha256,
        licence="CC BY-SA 4.0", mappings=(f"{tagset}_to_il-ner", f"{tagset}_to_coarse"), benchmark=True,
    )


def _outside(
    dataset: str, subset: str, split: str, language: str, repo_commit: tuple[str, str], upstream_path: str,
    sha256: str, *, file_format: str = "conll", member: str | None = None, scheme: str = "auto",
    hyphenless: bool = False, licence: str = "none stated", carve: Carve | None = None,
) -> DataFile:
    """An outside corpus, in a tagset of its own name, mapped onto il-ner and coarse; it lies at
    ``<dataset>/<file name>`` in a mirror. Its test split, or the whole of a corpus released
    without splits (``all``), is a benchmark; its training splits are not."""
    repo, commit = repo_commit
    return DataFile(
        dataset, subset, split, language, dataset, repo, commit, upstream_path,
        f"{dataset}/{upstream_path.rsplit('/', 1)[-1]}", sha256, file_format=file_format, member=member,
        scheme=scheme, hyphenless=hyphenless, licence=licence,
        mappings=(f"{dataset}_to_il-ner", f"{dataset}_to_coarse"), benchmark=split in ("test", "all"), carve=carve,
    )


_URDU = ("mirfan899/Urdu", "818f2b5f9e584b10aaca25621fa7b837a18ecd2a")
_TELUGU = ("anikethjr/NER_Telugu", "cb0971f9ab12a2425cc521da564d5b4f26fe608d")
_MARATHI = ("l3cube-pune/MarathiNLP", "8ee29fa1329d6a841030eb46659d3c10614b5e59")
_BENGALI_RIFAT = ("Rifat1493/Bengali-NER", "01656468c4e6e31dd6aff4cb42be1dc751a1abcf")
_BANGLAKIT = ("banglakit/bengali-ner-data", "8777ed550aff03d5fc8e7900f921ce43bcc76bb0")
_MAHANER_WHY = "the train split upstream is not registered"
_ASTOURNE = ("nlp30/GUIT-AsTourNE", "b32650e5d00769b43c59df620e3309381df232a1")


REGISTRY: tuple[DataFile, ...] = (
    _il_ner("hindi", "train", "298323cc1bf51fa81ba146f5803b91a589444a4ba40775080412b40ea9444c98"),
    _il_ner("hindi", "dev", "013ca50be438e333f76549b06aabeb7cdc659eb707cd09378f9e0ef799d21f0d"),
    _il_ner("hindi", "test", "018a30e0927774ce9ec121ef3111802bfc002a7fd5eaaf96046f019a27a812b9"),
    _il_ner("urdu", "train", "69a270d55aea3dfedb8fd7e9870dad59f28cb12ab337d6bc0b0e967effdf8ad5"),
    _il_ner("urdu", "dev", "681c91f9bd73de5815a0a1f32b41f9798f117c0f1334aaa7b3450ce8327a9122"),
    _il_ner("urdu", "test", "097fd406638aaea2c84c9c48f96067f8ff132a9de8223558aecc19fd838a5aaa"),
    _il_ner("odia", "train", "b5dc429160f66a69c81a432e29c66de80fe7a3a66e7dc632b29bdeeb551c45f4"),
    _il_ner("odia", "dev", "f822966d96999347726cc62901bdf109ea47e9e99f389e5f49eb552aa0e3f883"),
    _il_ner("odia", "test", "928dfdef7f626478dbf1342717b5241b17ff925ec3e5231b7275978b5555a5f8"),
    _il_ner("telugu", "train", "1bdc22a73f5b7b5e294040626296c2c4c05e462011c8943caf49601fcb0bd546"),
    _il_ner("telugu", "dev", "5cd34d816d24cf6a2b1444b087b2ecbaeb0931b29d5d6144eb0ab9a966b54b3f"),
    _il_ner("telugu", "test", "2daf1848d4d8e496f2d9d099efea53a36c5a532986ffeaa962613a2c8cd232f6"),
    # HiNER's train and test splits are not registered: their checksums have not been verified.
    _hiner("original", "a6e25d553a4ea2136089989d3c78f729c08554c02d0e870900950c7b1f39995b"),
    _hiner("collapsed", "9b8f162a254dc389b3eb051b7eee6419e3ef7dff5dc8695942caf97e2803d3b7"),
    # Outside corpora. The three Urdu corpora have no splits upstream: the whole corpus is "all".
    _outside("urdu-uner", "urdu", "all", "urdu", _URDU, "ner/uner.txt.tar.gz",
             "bf50bf3baa469eab744768cfe5bdcd8fbb05c9532a35c2adce4d17c8e3825153",
             member="ner/uner.txt", file_format="inline", licence="none stated (repository MIT)"),
    _outside("ijcnlp08-urdu", "urdu", "all", "urdu", _URDU, "ner/ijnlp.tar.xz",
             "63c7c3e5d525b08d4f24bf2434e5148984b500801a641998e7663a304a666fbb",
             member="ijnlp.txt", scheme="io", licence="none stated (repository MIT)"),
    _outside("urdu-jahangir", "urdu", "all", "urdu", _URDU, "ner/jahangir.tar.xz",
             "ef05ffaf104518fa49bf691ccc18d66aa9f4775c0514a779d68575959ac211ba",
             member="jahangir.txt", scheme="io", licence="none stated (repository MIT)"),
    # Split 0 of the ten upstream: its train part (with a dev split carved off it) and its test part.
    *(_outside("telugu-reddy2018", "fold0", split, "telugu", _TELUGU, "data/Gold_Data_Telugu/train_sentences_0_IOB.txt",
               "e04d7dcfb4d66c94cab82713820b23e0e97ef7d5f90ed3a0590a4fda7877d02e", scheme="iob2", carve=Carve(dev))
      for split, dev in (("train", False), ("dev", True))),
    _outside("telugu-reddy2018", "fold0", "test", "telugu", _TELUGU, "data/Gold_Data_Telugu/test_sentences_0_IOB.txt",
             "7c4d3cf693ed444f1023e63adac6de97c94da674d7e56b8fdd9c562db59d18a8", scheme="iob2"),
    # MahaNER's 21,500-sentence train split is not registered: its checksum could not be verified here.
    # Its validation split, whole, and in two parts to train a Marathi model on: validation-dev
    # (about 20%, carved) selects the model, validation-train (the rest) trains it.
    *(_outside("mahaner", "marathi", split, "marathi", _MARATHI, "L3Cube-MahaNER/IOB/valid_iob.txt",
               "b0b01f60cbb5ac3d83455d4de9ccfdaac1dd7f135dd7b936b6a199bc76aec361",
               file_format="sentence-id", scheme="iob2", hyphenless=True, licence="CC BY-NC-SA 4.0", carve=carve)
      for split, carve in (("validation", None), ("validation-train", Carve(False, 0.2, why=_MAHANER_WHY)),
                           ("validation-dev", Carve(True, 0.2, why=_MAHANER_WHY)))),
    _outside("mahaner", "marathi", "test", "marathi", _MARATHI, "L3Cube-MahaNER/IOB/test_iob.txt",
             "22d01fcd4298f3e55fc4c1ce55951c6dfb1411f9208d6ba0af74b8f5aa781879",
             file_format="sentence-id", scheme="iob2", hyphenless=True, licence="CC BY-NC-SA 4.0"),
    *(_outside("bengali-rifat", "bengali", split, "bengali", _BENGALI_RIFAT, "Input/train_data.txt",
               "99e3b0edbd27f7a77df54998b4d0c91b2a899f4e8b05c11ae230bb7d56902c30", scheme="iob2", licence="MIT",
               carve=Carve(dev))
      for split, dev in (("train", False), ("dev", True))),
    _outside("bengali-rifat", "bengali", "test", "bengali", _BENGALI_RIFAT, "Input/test_data.txt",
             "606bb2dd9cb05d999f91cc70f8d54bf21f5a9442adce91865bdc28d5c6bdcc72", scheme="iob2", licence="MIT"),
    _outside("bengali-banglakit", "bengali", "all", "bengali", _BANGLAKIT, "main.jsonl",
             "0eefd2565f3495dbbe091b9a76f9da642eaaf136a093f620efaa816b7f8be9a5",
             file_format="json-arrays", scheme="bioes", licence="CC0 1.0"),
    _outside("assamese-astourne", "assamese", "train", "assamese", _ASTOURNE, "train.csv",
             "069473455dfe99a652eda7c974be703931c6e829542040581cb66a20852d0b50", scheme="iob2"),
    _outside("assamese-astourne", "assamese", "dev", "assamese", _ASTOURNE, "dev.csv",
             "e78c4484aa290a8c165c8451bf54f9e07b3dbfe96f1a0d858ef7a3cc1ace29f0", scheme="iob2"),
    _outside("assamese-astourne", "assamese", "test", "assamese", _ASTOURNE, "test.csv",
             "37c67774a8e37808ea33e067831e2f21dc803208918869f38ed97aee98a8f0f6", scheme="iob2"),
)
DATASETS: tuple[str, ...] = tuple(dict.fromkeys(f.dataset for f in REGISTRY))


def is_registered(spec: str) -> bool:
    """Whether ``spec`` names registered files: an address, or a dataset's bare name (``urdu-uner``)
    when no file of that name is here."""
    return is_address(spec) or (spec in DATASETS and not Path(spec).is_file())


def is_address(text: str) -> bool:
    """``il-ner:hindi:train``, ``il-ner:hindi`` (all splits) or ``il-ner:*:test``; not a file path."""
    return 1 <= text.count(":") <= 2 and text.split(":", 1)[0] in DATASETS


def match(address: str) -> list[DataFile]:
    """Registered files matching ``dataset[:subset[:split]]`` (wildcards allowed); error if none."""
    parts = address.split(":")
    if parts[0] not in DATASETS:
        raise IlnerError(f"unknown dataset {parts[0]!r}; registered ones are {', '.join(DATASETS)}")
    if len(parts) > 3:
        raise IlnerError(f"dataset address {address!r} has too many parts: use dataset:subset:split")
    subset, split = (parts[1:] + ["*", "*"])[:2]
    found = [
        f for f in REGISTRY
        if f.dataset == parts[0] and fnmatchcase(f.subset, subset.lower()) and fnmatchcase(f.split, split.lower())
    ]
    if not found:
        known = ", ".join(f.address for f in REGISTRY if f.dataset == parts[0])
        raise IlnerError(f"no file of {parts[0]} matches {address!r}; registered: {known}")
    return found


def cache_dir() -> Path:
    return Path(os.environ.get("ILNER_CACHE") or Path.home() / ".cache" / "ilner") / "datasets"


def mirror_dir(data_dir: str | Path | None = None) -> Path | None:
    value = data_dir or os.environ.get("ILNER_DATA_DIR")
    return Path(value) if value else None


def offline() -> bool:
    """Whether downloads are turned off: ``ILNER_OFFLINE`` (or Hugging Face's ``HF_HUB_OFFLINE``)
    set to anything but empty or 0. Models from the hub follow the same switch."""
    return any(os.environ.get(name, "") not in ("", "0") for name in ("ILNER_OFFLINE", "HF_HUB_OFFLINE"))


def _verified(path: Path, data_file: DataFile) -> Path:
    actual = sha256_of(path)
    if actual != data_file.sha256:
        raise IlnerError(
            f"{path} ({data_file.address}) has sha256 {actual}, expected {data_file.sha256} "
            f"(upstream {data_file.repo}@{data_file.commit[:10]}/{data_file.upstream_path}); "
            "the file is not the pinned release: restore it, or read it as a plain path instead"
        )
    return path


# Errors of writing the cache (a full disk...), told apart from failures of the network.
_LOCAL_WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def download(data_file: DataFile, progress: Callable[[str], None] | None = None) -> Path:
    """Download one file into the cache, verify its sha256, and move it into place atomically."""
    if offline():
        raise DatasetUnavailableError(
            f"{data_file.address}: not downloading, because ILNER_OFFLINE (or HF_HUB_OFFLINE) is set. Either "
            "unset it to download, or point ILNER_DATA_DIR (or --data-dir) at a mirror holding "
            f"{data_file.mirror_path}"
        )
    target = cache_dir() / data_file.mirror_path
    target.parent.mkdir(parents=True, exist_ok=True)
    # A private partial file: processes downloading at once (e.g. under accelerate) never share one.
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(handle)
    partial = Path(name)
    if progress:
        progress(f"downloading {data_file.address} from {data_file.url}")
    try:
        with urllib.request.urlopen(data_file.url, timeout=60) as response, partial.open("wb") as out:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
    except (urllib.error.URLError, OSError) as error:
        partial.unlink(missing_ok=True)
        if error.errno in _LOCAL_WRITE_ERRORS:  # the cache cannot take the file: not a network failure
            raise OSError(error.errno, error.strerror, str(target)) from None
        raise DatasetUnavailableError(
            f"{data_file.address} is not available: downloading {data_file.url} failed ({error}). "
            "Either go online and run `ilner data fetch "
            f"{data_file.dataset}`, or point ILNER_DATA_DIR (or --data-dir) at a mirror holding "
            f"{data_file.mirror_path}"
        ) from None
    actual = sha256_of(partial)
    if actual != data_file.sha256:
        partial.unlink(missing_ok=True)
        raise IlnerError(
            f"the download of {data_file.address} from {data_file.url} has sha256 {actual}, expected "
            f"{data_file.sha256} (upstream {data_file.repo}@{data_file.commit[:10]}); it was cut short or "
            "upstream changed the file: try again, or read a copy you trust as a plain path"
        )
    os.chmod(partial, new_file_mode())  # not mkstemp's 0600, which would keep a shared cache from others
    os.replace(partial, target)
    return target


def locate(
    data_file: DataFile,
    data_dir: str | Path | None = None,
    download_missing: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """The local path of a registered file: mirror, then cache, then a verified download."""
    mirror = mirror_dir(data_dir)
    if mirror is not None:
        path = mirror / data_file.mirror_path
        if path.is_file():
            return _verified(path, data_file)
    cached = cache_dir() / data_file.mirror_path
    if cached.is_file():
        return _verified(cached, data_file)
    if not download_missing or offline():
        where = f"the mirror {mirror} has no {data_file.mirror_path}" if mirror else "no mirror is set"
        raise DatasetUnavailableError(
            f"{data_file.address} is not available offline ({where}, and it is not in the cache "
            f"{cache_dir()}). Either run `ilner data fetch {data_file.dataset}` while online, or "
            "point ILNER_DATA_DIR (or --data-dir) at a mirror with the layout of shared/datasets"
        )
    return download(data_file, progress)


def fetch(
    address: str, force: bool = False, progress: Callable[[str], None] | None = None
) -> list[tuple[DataFile, Path, str]]:
    """Download every matching file into the cache; returns (file, path, "cached"|"downloaded")."""
    results = []
    for data_file in match(address):
        cached = cache_dir() / data_file.mirror_path
        if cached.is_file() and not force:
            try:
                results.append((data_file, _verified(cached, data_file), "cached"))
                continue
            except IlnerError:
                if progress:
                    progress(f"cached {data_file.address} has a wrong checksum; downloading it again")
        results.append((data_file, download(data_file, progress), "downloaded"))
    return results
