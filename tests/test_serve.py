"""`ilner serve`: a real server process on a loopback port, every endpoint, limit and error.

The models are tiny and built here; their head always says B-NEL, so every token is an entity
and the expected entities of any text are its tokens (as `ilner predict` finds them).
"""

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from ilner.inference.tagger import Tagger
from tiny_models import SENTENCES, forced_model

@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    return {"hi": forced_model(root / "hindi", languages=["hindi"]), "ur": forced_model(root / "urdu", languages=["urdu"]),
            "all": forced_model(root / "joint", languages=["hindi", "odia", "telugu", "urdu"])}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """An `ilner serve` process on a free loopback port."""

    def __init__(self, args: list[str], env: dict | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ilner", "serve", *args, "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"ilner serve exited {self.process.returncode}: {self.process.stdout.read()}")
            try:
                if self.request("GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("ilner serve did not start in 120 s")

    def request(self, method: str, path: str, body=None, headers: dict | None = None, raw: bytes | None = None):
        """(status, headers, parsed JSON or text) of one request."""
        data = raw if raw is not None else None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, head, payload = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, head, payload = error.code, dict(error.headers), error.read()
        text = payload.decode("utf-8")
        return status, head, json.loads(text) if head.get("content-type", "").startswith("application/json") else text

    def ner(self, body: dict, **kwargs):
        return self.request("POST", "/v1/ner", body, **kwargs)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.stdout.read()


@pytest.fixture(scope="module")
def server(models):
    running = Server([models["hi"], models["ur"], f"all={models['all']}", "--max-texts", "8", "--max-chars", "2000",
                      "--max-body", "65536"])
    yield running
    running.stop()


def test_health_and_models(server):
    status, _, health = server.request("GET", "/health")
    assert status == 200 and health["status"] == "ok" and health["models"] == ["hi", "ur", "all"]
    status, _, listing = server.request("GET", "/v1/models")
    assert status == 200
    by_name = {m["name"]: m for m in listing["models"]}
    assert by_name["all"]["languages"] == ["hindi", "odia", "telugu", "urdu"] and by_name["hi"]["codes"] == ["hi"]
    assert by_name["ur"]["labels"] == ["NEAR", "NEL", "NEN", "NEO", "NEP", "NETI"] and by_name["ur"]["tagset"] == "il-ner"
    assert "served" not in json.dumps(listing)  # no filesystem path leaves the service


@pytest.mark.parametrize("language", SENTENCES)
def test_entity_offsets_point_into_the_text_in_every_script(server, models, language):
    text = "  " + SENTENCES[language] + "\u200c\n" + SENTENCES[language][:20] + " 😀 " + SENTENCES[language][20:]
    status, head, answer = server.ner({"text": text})
    assert status == 200
    expected = "all" if language in ("odia", "telugu") else {"hindi": "hi", "urdu": "ur"}[language]
    assert answer["model"] == head["x-ilner-model"] == expected  # chosen by script, the most specific
    [result] = answer["results"]
    assert result["text"] == text
    for entity in result["entities"]:
        assert text[entity["start"]:entity["end"]] == entity["text"] and entity["label"] == "NEL"
    # The same entities as the Python API (and so `ilner predict`) finds with that model.
    [local] = Tagger.load(models[expected])(text)
    assert result["entities"] == [e.to_dict() for e in local.entities]


def test_texts_tokens_and_conll(server):
    status, _, answer = server.ner({"texts": [SENTENCES["hindi"], "", "दिल्ली"], "model": "hi"})
    assert status == 200 and [len(r["entities"]) for r in answer["results"]] == [len(SENTENCES["hindi"].replace("।", " ।").split()), 0, 1]
    status, _, answer = server.ner({"tokens": [["राम", "दिल्ली", "गए"], ["ممبئی"]], "model": "all"})
    assert status == 200
    first, second = answer["results"]
    assert first["tokens"] == ["राम", "दिल्ली", "गए"] and first["tags"] == ["B-NEL"] * 3
    assert [(e["start"], e["end"], e["text"]) for e in first["entities"]] == [(0, 1, "राम"), (1, 2, "दिल्ली"), (2, 3, "गए")]
    assert second["entities"][0]["text"] == "ممبئی"
    status, head, text = server.ner({"text": "राम दिल्ली गए।\nसीता", "format": "conll"})
    assert status == 200 and head["content-type"].startswith("text/plain") and head["x-ilner-model"] == "hi"
    assert text == "राम\tB-NEL\nदिल्ली\tB-NEL\nगए\tB-NEL\n।\tB-NEL\n\nसीता\tB-NEL\n\n"
    status, _, answer = server.ner({"text": "राम दिल्ली गए", "o_penalty": -50})  # O favoured: nothing found
    assert status == 200 and answer["results"][0]["entities"] == []


def test_a_model_is_chosen_by_name_or_script_or_the_request_is_told_why_not(server):
    assert server.ner({"text": SENTENCES["hindi"] + " " + SENTENCES["urdu"]})[2]["model"] == "all"  # mixed: the joint one
    assert server.ner({"text": "Narendra Modi BJP 2024 " + SENTENCES["urdu"]})[2]["model"] == "ur"  # Latin says nothing
    status, _, answer = server.ner({"text": "Narendra Modi in Delhi"})
    assert status == 422 and "cannot tell the language" in answer["error"] and "hi (hindi)" in answer["error"]
    status, _, answer = server.ner({"text": "ਦਿੱਲੀ"})  # Gurmukhi: no model reads it
    assert status == 422 and "Gurmukhi" in answer["error"]
    status, _, answer = server.ner({"text": "राम", "model": "../../etc/passwd"})
    assert status == 422 and "no model named" in answer["error"] and answer["status"] == 422


@pytest.mark.parametrize(("request_kwargs", "status", "message"), [
    ({"raw": b'{"text": "\xff\xfe"}'}, 400, "not UTF-8"),
    ({"raw": b'{"text": "abc"'}, 400, "not valid JSON"),
    ({"raw": b"[" * 60_000}, 400, "nested too deeply"),
    ({"raw": b'{"text": "\\ud800"}'}, 422, "lone surrogate"),
    ({"body": {"text": "a", "texts": ["b"]}}, 422, "exactly one of"),
    ({"body": {}}, 422, "exactly one of"),
    ({"body": {"txt": "a"}}, 422, "unknown field"),
    ({"body": {"texts": ["a", 3]}}, 422, "texts[1]"),
    ({"body": {"tokens": [["a", " "]]}}, 422, "blank token"),
    ({"body": {"tokens": [["a\tb"]], "format": "conll"}}, 422, "tab"),
    ({"body": {"text": "a", "format": "xml"}}, 422, "format"),
    ({"body": {"text": "a", "o_penalty": 1e308}}, 422, "o_penalty"),
    ({"body": {"texts": ["राम"] * 9}}, 422, "at most 8"),
    ({"body": {"text": "र" * 2001}}, 422, "at most 2000"),
    ({"raw": b'{"text": "' + "र".encode() * 30_000 + b'"}'}, 413, "over 65536 bytes"),
])
def test_bad_requests_get_a_clear_json_error(server, request_kwargs, status, message):
    got, head, answer = server.request("POST", "/v1/ner", **request_kwargs)
    assert (got, answer["status"]) == (status, status) and message in answer["error"], answer
    assert head["content-type"] == "application/json"


def test_a_chunked_body_over_the_limit_is_refused(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(b"POST /v1/ner HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 16384
        for _ in range(5):  # 80 KiB against a 64 KiB limit
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.sendall(b"0\r\n\r\n")
        received = b""
        while chunk := connection.recv(65536):  # the server closes the connection after its answer
            received += chunk
        reply = received.decode()
    assert reply.startswith("HTTP/1.1 413") and "over 65536 bytes" in reply


def test_unknown_paths_and_methods_answer_json(server):
    status, _, answer = server.request("GET", "/v1/nope")
    assert status == 404 and "no such endpoint" in answer["error"]
    status, _, answer = server.request("GET", "/v1/ner")
    assert status == 405 and answer["status"] == 405


def test_the_page_and_the_api_docs_are_served(server):
    status, head, page = server.request("GET", "/")
    assert status == 200 and head["content-type"].startswith("text/html") and 'dir = "auto"' in page
    assert "http://" not in page and "https://" not in page  # works offline: nothing from a CDN
    status, _, schema = server.request("GET", "/openapi.json")
    assert status == 200 and {"/health", "/v1/models", "/v1/ner"} <= set(schema["paths"])
    assert "texts" in json.dumps(schema["paths"]["/v1/ner"]["post"]["requestBody"])


def test_concurrent_requests_are_tagged_in_fewer_forward_passes_each_with_its_own_answer(server):
    before = server.request("GET", "/health")[2]["batches"]
    texts = [f"{SENTENCES['hindi']} {'राम ' * i}" for i in range(24)]
    answers: dict[int, dict] = {}

    def send(i):
        answers[i] = server.ner({"text": texts[i], "model": "hi"})[2]

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, text in enumerate(texts):
        [result] = answers[i]["results"]
        assert result["text"] == text and len(result["entities"]) == len(text.replace("।", " ।").split())
    batches = server.request("GET", "/health")[2]["batches"] - before
    assert batches < len(texts), batches


BIG_REQUEST = {"texts": [("नरेंद्र मोदी दिल्ली में " * 220)[:4990]] * 64}  # 64,000 words


@pytest.fixture(scope="module")
def big_server(models):
    running = Server([f"hi={models['hi']}", "--max-texts", "64", "--max-chars", "5000", "--max-body", "2097152"])
    yield running
    running.stop()


def test_health_answers_while_a_big_request_is_tagged(big_server):
    done = {}

    def tag_big():
        done["status"] = big_server.ner(BIG_REQUEST)[0]
        done["at"] = time.perf_counter()

    thread = threading.Thread(target=tag_big)
    thread.start()
    time.sleep(0.5)
    started = time.perf_counter()
    assert big_server.request("GET", "/health")[0] == 200
    answered = time.perf_counter()
    thread.join()
    assert done["status"] == 200 and answered - started < 1.0 and answered < done["at"], (answered - started, done)


def test_api_key_and_cors(models):
    key_server = Server([f"hi={models['hi']}", "--cors", "https://news.example"], env={"ILNER_API_KEY": "s3cret"})
    try:
        status, _, answer = key_server.ner({"text": "राम"})
        assert status == 401 and "X-API-Key" in answer["error"]
        assert key_server.ner({"text": "राम"}, headers={"X-API-Key": "wrong"})[0] == 401
        assert key_server.request("GET", "/v1/models")[0] == 401
        status, head, _ = key_server.ner({"text": "राम"}, headers={"X-API-Key": "s3cret", "Origin": "https://news.example"})
        assert status == 200 and head["access-control-allow-origin"] == "https://news.example"
        assert key_server.ner({"text": "राम"}, headers={"Authorization": "Bearer s3cret"})[0] == 200
        assert key_server.request("GET", "/health")[0] == 200  # liveness needs no key
        head = key_server.ner({"text": "राम"}, headers={"X-API-Key": "s3cret", "Origin": "https://evil.example"})[1]
        assert "access-control-allow-origin" not in head
    finally:
        key_server.stop()


def test_no_cors_by_default(server):
    head = server.ner({"text": "राम"}, headers={"Origin": "https://news.example"})[1]
    assert "access-control-allow-origin" not in head


def test_sigterm_lets_the_request_in_flight_finish(models):
    one = Server([f"hi={models['hi']}", "--max-texts", "64", "--max-chars", "5000", "--max-body", "2097152"])
    answer = {}
    thread = threading.Thread(target=lambda: answer.update(reply=one.ner(BIG_REQUEST)))
    thread.start()
    time.sleep(0.5)  # the request is being tagged
    one.process.send_signal(signal.SIGTERM)
    thread.join()
    status, _, body = answer["reply"]
    assert status == 200 and len(body["results"]) == 64 and all(r["entities"] for r in body["results"])
    assert one.process.wait(30) == 0
    with pytest.raises(OSError):
        one.request("GET", "/health")  # gone: the port is closed


def test_two_workers_serve(models):
    two = Server([f"hi={models['hi']}", "--workers", "2"])
    try:
        assert all(two.ner({"text": "राम दिल्ली गए"})[0] == 200 for _ in range(4))
    finally:
        log = two.stop()
    assert log.count("Application startup complete") == 2, log


def test_serve_refuses_bad_models_before_listening(tmp_path, models, cli):
    code, _, err = cli("serve", str(tmp_path / "missing"))
    assert code == 2 and "missing" in err and "Traceback" not in err
    code, _, err = cli("serve", models["hi"], f"hi={models['ur']}")
    assert code == 2 and "two models are named 'hi'" in err
    code, _, err = cli("serve", models["hi"], "--api-key", " ")
    assert code == 2 and "empty key" in err


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        for folder in ("/usr/bin", "/usr/local/bin"):
            if os.access(f"{folder}/{name}", os.X_OK):
                return f"{folder}/{name}"
    return None


def test_the_page_tags_hindi_and_urdu_in_a_real_browser(server, models, tmp_path):
    """Debian's chromium, driven by Playwright (no browser download): type, Tag, read the marks."""
    executable = _chromium()
    if executable is None or not _has_playwright():
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium (apt) and playwright (the dev extra) for the page's test")
        pytest.skip("no system chromium or playwright here")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(server.url + "/")
        page.wait_for_selector("#model option[value='ur']", state="attached")
        for language, model in (("hindi", "hi"), ("urdu", "ur")):
            text = SENTENCES[language]
            page.fill("#text", text)
            page.click("#tag")
            page.wait_for_function("document.querySelector('#status').textContent.includes('found by model')")
            marks = page.eval_on_selector_all("mark.ent", "ms => ms.map(m => [m.textContent, m.dataset.label, "
                                                          "+m.dataset.start, +m.dataset.end])")
            [expected] = Tagger.load(models[model])(text)
            assert marks == [[e.text, e.label, e.start, e.end] for e in expected.entities]
            assert page.text_content("#status").endswith(f"found by model {model}.")
            direction = page.eval_on_selector("#output .line", "el => getComputedStyle(el).direction")
            assert direction == ("rtl" if language == "urdu" else "ltr")
            page.screenshot(path=str(tmp_path / f"page-{language}.png"), full_page=True)
        legend = page.eval_on_selector_all("#legend span", "spans => spans.map(s => s.textContent)")
        assert legend == ["NEAR", "NEL", "NEN", "NEO", "NEP", "NETI"]
        browser.close()
    assert (tmp_path / "page-urdu.png").stat().st_size > 1000


def _has_playwright() -> bool:
    return importlib.util.find_spec("playwright") is not None


def test_a_request_that_reaches_a_draining_service_gets_503(models):
    """Between SIGTERM and the port closing (the server process tests above cover the rest)."""
    from fastapi.testclient import TestClient

    from ilner.serving.app import ServiceSettings, create_app
    from ilner.serving.models import ModelSet, ServedModel

    app = create_app(ModelSet([ServedModel("hi", models["hi"], Tagger.load(models["hi"]))]), ServiceSettings())
    with TestClient(app) as client:
        assert client.post("/v1/ner", json={"text": "राम"}).status_code == 200
        app.state.draining = True
        response = client.post("/v1/ner", json={"text": "राम"})
        assert response.status_code == 503 and "shutting down" in response.json()["error"]
        assert response.headers["retry-after"] == "5"
