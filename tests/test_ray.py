"""Bulk tagging on Ray Data: a local Ray with 2 CPUs, every record out once, entities equal to
ilner predict's, bad records carried with an error, a used output folder refused."""

import json

import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install 'ilner[ray]'")

import pyarrow.parquet as pq  # noqa: E402

from ilner.inference.tagger import Tagger  # noqa: E402
from tiny_models import SENTENCES, forced_model  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return forced_model(tmp_path_factory.mktemp("ray") / "m", languages=["hindi", "urdu"])


def _expected(model, texts: dict[str, str]) -> dict[str, list[dict]]:
    tagged = Tagger.load(model)(list(texts.values()))
    return {key: [e.to_dict() for e in t.entities] for key, t in zip(texts, tagged)}


def test_text_files_and_jsonl_on_two_actors(local_ray, model, tmp_path, cli):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "hi.txt").write_text(SENTENCES["hindi"] + "\nदूसरी पंक्ति दिल्ली में।", encoding="utf-8")
    (docs / "ur.txt").write_text(SENTENCES["urdu"], encoding="utf-8")
    (docs / "broken.txt").write_bytes(b"\xff\xfe not utf-8 \x80")
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps({"id": "a", "text": SENTENCES["odia"]}, ensure_ascii=False) + "\n"
                       + "{not json\n" + json.dumps({"id": "c", "body": "no text field"}) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = cli("predict", model, docs / "hi.txt", docs / "ur.txt", docs / "broken.txt", "-o", out,
                       "--engine", "ray", "--actors", "2", "--format", "parquet")
    assert code == 0, err
    assert "3 records in, 3 out, 1 failed" in " ".join(err.split())
    rows = {r["id"]: r for r in pq.read_table(out).to_pylist()}
    expected = _expected(model, {str(docs / "hi.txt"): (docs / "hi.txt").read_text(encoding="utf-8"),
                                 str(docs / "ur.txt"): SENTENCES["urdu"]})
    for key, entities in expected.items():
        assert rows[key]["entities"] == entities and rows[key]["error"] is None and rows[key]["model"] == "hi+ur"
    assert rows[str(docs / "broken.txt")]["error"].startswith("not UTF-8") and rows[str(docs / "broken.txt")]["entities"] == []
    assert len(rows[str(docs / "hi.txt")]["model_version"]) == 16

    out_jsonl = tmp_path / "out-jsonl"
    code, _, err = cli("predict", model, records, "-o", out_jsonl, "--engine", "ray", "--input-format", "jsonl")
    assert code == 0, err
    assert "3 records in, 3 out, 2 failed" in " ".join(err.split())
    rows = {}
    for path in sorted(out_jsonl.iterdir()):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            rows[record["id"]] = record
    assert rows["a"]["entities"] == _expected(model, {"a": SENTENCES["odia"]})["a"]
    assert rows[f"{records}:2"]["error"].startswith("not JSON") and rows["c"]["error"] == "no text in 'text'"

    code, _, err = cli("predict", model, records, "-o", out_jsonl, "--engine", "ray", "--input-format", "jsonl")
    assert code == 2 and "already holds output" in err  # never two runs' records in one folder


def test_tag_dataset_from_python_on_parquet_without_ids(local_ray, model, tmp_path):
    import pyarrow as pa

    from ilner.distributed import read_inputs, tag_dataset

    texts = [SENTENCES["hindi"], "x" * 150, SENTENCES["urdu"]]
    pq.write_table(pa.table({"body": texts}), tmp_path / "docs.parquet")
    ds = read_inputs([tmp_path / "docs.parquet"], "parquet", column="body")  # ids: row numbers
    rows = {r["id"]: r for r in tag_dataset(ds, model, column="body", max_chars=100).take_all()}
    expected = _expected(model, {"0": texts[0], "2": texts[2]})
    assert [e["text"] for e in rows["0"]["entities"]] == [e["text"] for e in expected["0"]]
    assert rows["1"]["error"] == "150 characters, over the limit of 100" and rows["2"]["error"] is None
