"""Dataset addresses, mirror lookup, checksum refusal, offline errors and real HTTP downloads."""

import errno
import os
import shutil
from pathlib import Path

import pytest

from ilner.data import registry, resolve
from ilner.data.files import new_file_mode
from ilner.errors import DatasetUnavailableError, IlnerError


def test_addresses_and_wildcards():
    assert [f.address for f in registry.match("il-ner:hindi:train")] == ["il-ner:hindi:train"]
    assert {f.subset for f in registry.match("il-ner:*:test")} == {"hindi", "urdu", "odia", "telugu"}
    assert len(registry.match("il-ner:*:*")) == 12
    assert len(registry.match("il-ner")) == 12
    with pytest.raises(IlnerError, match="unknown dataset 'ilner'"):
        registry.match("ilner:hindi:train")
    with pytest.raises(IlnerError, match="no file of il-ner matches 'il-ner:bengali:train'"):
        registry.match("il-ner:bengali:train")
    assert registry.is_address("hiner:original:validation")
    assert not registry.is_address("data/Hindi-train.txt")


def test_urls_are_pinned_to_commits():
    data_file = registry.match("il-ner:telugu:test")[0]
    assert data_file.url == (
        "https://raw.githubusercontent.com/SankalpBahad/IL-NER/079e9184d819cf8114e989b0b9380b5ef4faa9e2/"
        "Datasets/Telugu/Telugu-test.txt"
    )
    assert all(len(f.sha256) == 64 for f in registry.REGISTRY)


def test_resolve_from_mirror(mirror):
    [source] = resolve("il-ner:odia:dev")
    assert source.path == mirror / "il-ner/Odia/Odia-dev.txt"
    assert (source.language, source.split, source.tagset) == ("odia", "dev", "il-ner")
    [hiner] = resolve("hiner:collapsed:validation")
    assert (hiner.split, hiner.tagset) == ("dev", "hiner-collapsed")


def test_a_bare_dataset_name_stands_for_its_files_unless_a_file_has_that_name(mirror, tmp_path, monkeypatch):
    assert [s.name for s in resolve("hiner")] == ["hiner:original:validation", "hiner:collapsed:validation"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hiner").mkdir()  # a folder (the mirror's own) does not hide the dataset
    assert len(resolve("hiner")) == 2
    (tmp_path / "hiner").rmdir()
    (tmp_path / "hiner").write_text("राम\tB-NEP\n", encoding="utf-8")
    [plain] = resolve("hiner")
    assert plain.name == "hiner" and plain.path == Path("hiner")


def test_plain_paths_guess_language_and_split(tmp_path):
    [source] = resolve(str(tmp_path / "Telugu-test.txt"))
    assert (source.language, source.split) == ("telugu", "test")


def test_mirror_with_wrong_checksum_is_refused(mirror, tmp_path, monkeypatch):
    fake = tmp_path / "il-ner/Telugu/Telugu-test.txt"
    fake.parent.mkdir(parents=True)
    shutil.copy(mirror / "il-ner/Telugu/Telugu-test.txt", fake)
    with fake.open("a", encoding="utf-8") as handle:
        handle.write("\nextra\tO\n")
    monkeypatch.setenv("ILNER_DATA_DIR", str(tmp_path))
    with pytest.raises(IlnerError, match="has sha256 .* expected 2daf1848"):
        resolve("il-ner:telugu:test")


def test_offline_without_mirror_names_both_ways_out(monkeypatch):
    monkeypatch.delenv("ILNER_DATA_DIR", raising=False)
    monkeypatch.setenv("ILNER_OFFLINE", "1")
    with pytest.raises(DatasetUnavailableError) as error:
        resolve("il-ner:telugu:test")
    assert "ilner data fetch il-ner" in str(error.value) and "ILNER_DATA_DIR" in str(error.value)


def test_failed_download_names_both_ways_out(monkeypatch):
    monkeypatch.delenv("ILNER_DATA_DIR", raising=False)
    monkeypatch.setattr(registry, "RAW_URL", "http://127.0.0.1:9/{repo}/{commit}/{path}")
    with pytest.raises(DatasetUnavailableError, match="downloading .* failed.*ilner data fetch il-ner.*ILNER_DATA_DIR"):
        resolve("il-ner:telugu:test")


def test_fetch_downloads_verifies_and_caches(upstream):
    results = registry.fetch("il-ner:telugu:*")
    assert [how for _, _, how in results] == ["downloaded"] * 3
    for data_file, path, _ in results:
        assert path.is_relative_to(registry.cache_dir()) and registry.sha256_of(path) == data_file.sha256
        assert path.stat().st_mode & 0o777 == new_file_mode()  # not private to this user: caches are shared
    assert [how for _, _, how in registry.fetch("il-ner:telugu:*")] == ["cached"] * 3
    [source] = resolve("il-ner:telugu:dev")  # found in the cache now
    assert source.path == registry.cache_dir() / "il-ner/Telugu/Telugu-dev.txt"


def test_download_with_wrong_checksum_is_refused(upstream):
    data_file = registry.match("il-ner:urdu:dev")[0]
    served = upstream / data_file.repo / data_file.commit / data_file.upstream_path
    served.write_text("tampered\tO\n", encoding="utf-8")
    with pytest.raises(IlnerError, match="the download of il-ner:urdu:dev from .* has sha256 .*try again") as refused:
        registry.fetch("il-ner:urdu:dev")
    assert ".part" not in str(refused.value)  # the partial file is gone: the message must not send users to it
    assert not (registry.cache_dir() / data_file.mirror_path).exists()
    assert not list(registry.cache_dir().rglob("*.part"))


@pytest.mark.parametrize("variable", ["ILNER_OFFLINE", "HF_HUB_OFFLINE"])
def test_fetch_downloads_nothing_offline(upstream, cli, monkeypatch, variable):
    """The README says ILNER_OFFLINE=1 turns downloads off: `ilner data fetch` too."""
    monkeypatch.setenv(variable, "1")
    with pytest.raises(DatasetUnavailableError, match="not downloading, because ILNER_OFFLINE .* is set.*ILNER_DATA_DIR"):
        registry.fetch("il-ner:telugu:test")
    code, _, err = cli("data", "fetch", "il-ner:telugu:test")
    assert code == 2 and "ilner: error: il-ner:telugu:test: not downloading" in err and "Traceback" not in err
    assert not registry.cache_dir().exists() or not list(registry.cache_dir().rglob("*.txt"))


def test_a_full_disk_while_downloading_names_the_cache_file(upstream, cli, monkeypatch):
    """Not 'downloading failed ... go online': the network was fine, the cache could not take the file."""
    real_open = Path.open

    def open_full(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        if path.suffix == ".part":
            def write(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            handle.write = write
        return handle

    monkeypatch.setattr(Path, "open", open_full)
    code, _, err = cli("data", "fetch", "il-ner:telugu:test")
    target = registry.cache_dir() / "il-ner/Telugu/Telugu-test.txt"
    assert code == 2 and f"ilner: error: {target}: No space left on device; the disk is full" in err
    assert "Traceback" not in err and not list(target.parent.iterdir())
