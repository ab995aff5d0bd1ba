"""The HTTP API with the real OpenAI Python client against `rag serve` on loopback, on the
bundled models: streamed and non-streamed answers with verified citations, a follow-up
through `messages`, a refusal for an off-topic question, a second knowledge base made by
upload. The documents are invented (not the seeds)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request

import pytest
from conftest import free_port

from test_browser import REPO, _stop, _wait_http

pytestmark = pytest.mark.integration

START_TIMEOUT = 900  # s: the first run on a machine converts the bundled models
DOCS = {
    "lighthouse.txt": (
        "北岬灯塔位于青湾港北侧的岬角上，建于1898年，塔身高三十二米，由港务局管理。"
        "灯塔最初使用煤油灯，1952年改用电力照明，射程达到二十海里。"
        "1987年灯塔被列为市级文物保护单位，每年五月向游客开放参观。\n"),
    "orchard.txt": (
        "云岭果园位于山谷东侧，占地一百二十亩，主要种植苹果和梨。"
        "果园每年九月举办采摘节，游客可以自带篮子，门票为三十元。"
        "果园的灌溉用水来自山上的两座水库。\n"),
    "library.txt": (
        "南街社区图书馆于2015年开馆，藏书约四万册，周一闭馆。"
        "图书馆二楼设有儿童阅览室，每周六上午举办绘本故事会。\n"),
}
FERRY = ("The Holloway ferry crosses the Tamsin River every forty minutes between 6 a.m. and 10 p.m. "
         "The ferry was first licensed in 1871 and carries up to sixty passengers.\n")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    base = tmp_path_factory.mktemp("api-real")
    docs = base / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    env = dict(os.environ, RAG_INDEX=str(base / "index"), RAG_DATA=str(base / "data"), PYTHONPATH=str(REPO),
               PYTHONUNBUFFERED="1", GRADIO_TEMP_DIR=str(base / "gradio"))
    env.pop("RAG_AUTH", None)
    env.pop("RAG_KB", None)
    subprocess.run([sys.executable, "-m", "rag.cli", "index", str(docs)], cwd=base, env=env, check=True,
                   capture_output=True, timeout=START_TIMEOUT)
    port = free_port()
    log = base / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], cwd=base, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(url + "/api/health", proc, log, START_TIMEOUT)
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def client(base_url):
    from openai import OpenAI

    return OpenAI(base_url=base_url + "/v1", api_key="unused-on-loopback", timeout=300, max_retries=0)


def test_non_streamed_answer_has_verified_citations(client):
    r = client.chat.completions.create(model="default", messages=[{"role": "user", "content": "北岬灯塔建于哪一年？"}],
                                       temperature=0.7)  # ignored: answers stay deterministic
    extra = r.model_extra
    text = r.choices[0].message.content
    assert extra["refused"] is False, text
    assert "1898" in text and re.search(r"\[\d\]", text), text
    cited = [c for c in extra["citations"] if c["verified"]]
    assert cited and cited[0]["source"] == "lighthouse.txt" and "1898" in cited[0]["quote"], extra["citations"]
    assert "1898" in extra["short_answer"]


def test_streamed_answer_and_its_sources(client):
    stream = client.chat.completions.create(model="default", stream=True,
                                            messages=[{"role": "user", "content": "云岭果园的采摘节门票多少钱？"}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    last = chunks[-1].model_extra
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert last["refused"] is False and "三十元" in last["answer"] and "三十元" in text, text
    assert any(c["verified"] and c["source"] == "orchard.txt" for c in last["citations"])


def test_follow_up_through_messages(client):
    r = client.chat.completions.create(model="default", messages=[
        {"role": "user", "content": "北岬灯塔建于哪一年？"},
        {"role": "assistant", "content": "北岬灯塔建于1898年[1]。"},
        {"role": "user", "content": "它哪一年改用电力照明？"}])
    text = r.choices[0].message.content
    assert r.model_extra["refused"] is False and "1952" in text, text
    assert "北岬灯塔" in r.model_extra["standalone_question"]


def test_off_topic_question_is_refused(client):
    r = client.chat.completions.create(model="default", messages=[{"role": "user", "content": "火星上最高的山叫什么名字？"}])
    assert r.model_extra["refused"] is True, r.choices[0].message.content
    assert not r.model_extra["citations"] or not any(c["verified"] for c in r.model_extra["citations"])


def test_second_knowledge_base_by_upload_and_bad_requests(client, base_url):
    import openai

    boundary = "----ragtest"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"ferry.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\n{FERRY}\r\n--{boundary}--\r\n").encode()
    req = urllib.request.Request(base_url + "/api/kb/ferries/documents?create=true", data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        assert resp.status == 201 and json.load(resp)["added"] == ["ferry.txt"]
    assert [m.id for m in client.models.list().data] == ["default", "ferries"]
    r = client.chat.completions.create(model="ferries", messages=[{"role": "user", "content": "How often does the Holloway ferry cross the river?"}])
    assert r.model_extra["refused"] is False and "forty" in r.choices[0].message.content.lower()
    assert all(c["source"] == "ferry.txt" for c in r.model_extra["citations"])
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nosuchkb", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="default", messages=[{"role": "assistant", "content": "hi"}])
