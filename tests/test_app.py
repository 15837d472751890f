"""The browser UI's API, through gradio_client against a real server on loopback."""

import os
import subprocess
import sys

import pytest

from rag.config import REPO_ROOT


@pytest.mark.parametrize("question, article", [
    ("ماذا قال بيسكوف عن مركز المعلومات في بغداد؟", "000_832fa2db40460904"),
    ("How did Peskov describe the state of Russian-American relations?", "000_832fa2db40460904"),
])
def test_chat_api_returns_a_cited_answer_and_its_sources(app_server, question, article):
    from gradio_client import Client

    answer, sources = Client(app_server[0], verbose=False).predict(question, 3, False, api_name="/chat")
    assert "[" in answer and "]" in answer
    n = answer.split("[", 1)[1].split("]", 1)[0]
    assert f'id="src-{n}"' in sources and article in sources
    assert "<mark>" in sources


def test_the_ui_says_where_it_serves_and_the_llm_load_does_not_swallow_it(app_server):
    # llama.cpp points stdout and stderr at /dev/null while it loads the model: the warm-up starts
    # after the launch has said where the UI is.
    from gradio_client import Client

    url, _, index = app_server
    Client(url, verbose=False).predict("Who is Peskov?", 3, False, api_name="/chat")  # the LLM has loaded
    assert f"Running on local URL:  {url.rstrip('/')}" in (index.parent / "app.log").read_text()


def test_chat_api_refuses_plainly_and_shows_the_closest_passages(app_server):
    from gradio_client import Client

    answer, sources = Client(app_server[0], verbose=False).predict("Who won the 2014 football World Cup?", 3, False,
                                                            api_name="/chat")
    assert answer == "The articles do not say."
    # no answer, but the closest passages to read, their sentence nearest the question marked
    assert 'class="refused"' in sources and "closest passages" in sources and "<mark>" in sources


@pytest.mark.parametrize("question, says", [("   ", "empty"), ("a\x07b", "control characters"),
                                            ("x" * 2001, "the limit is 2000")])
def test_chat_api_explains_a_question_it_cannot_take(app_server, question, says):
    from gradio_client import Client

    answer, sources = Client(app_server[0], verbose=False).predict(question, 3, False, api_name="/chat")
    assert says in answer and sources == ""


def test_rag_ask_uses_a_running_server_instead_of_loading_the_models(app_server):
    import json

    rag = [str(REPO_ROOT / ".venv/bin/rag"), "ask", "--server", app_server[0]]
    shown = subprocess.run([*rag, "How did Peskov describe the state of Russian-American relations?"],
                           capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr
    assert "not good" in shown.stdout and "Sources:" in shown.stdout and "000_832fa2db40460904" in shown.stdout
    answer = json.loads(subprocess.run([*rag, "--json", "Who won the 2014 football World Cup?"],
                                       capture_output=True, text=True, timeout=300).stdout)
    assert answer["refused"] and answer["closest"] and answer["question"].startswith("Who won")
    unknown = subprocess.run([*rag, "--source", "nowhere", "Who is Peskov?"], capture_output=True, text=True,
                             timeout=300)
    assert unknown.returncode == 2 and "nowhere" in unknown.stderr


def test_rag_ask_says_when_the_server_is_not_there():
    from processes import free_port

    result = subprocess.run([str(REPO_ROOT / ".venv/bin/rag"), "ask", "--server", f"http://127.0.0.1:{free_port()}/",
                             "Who is Peskov?"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "no answer from the server" in result.stderr and "Traceback" not in result.stderr


def test_serving_beyond_loopback_needs_a_login(seed_index):
    result = subprocess.run([sys.executable, "app.py", "--host", "0.0.0.0", "--index", str(seed_index.index_dir)],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--auth" in result.stderr


@pytest.mark.parametrize("login", ["nocolon", "user:"])
def test_a_malformed_login_is_a_clear_error_not_a_crash(seed_index, login):
    env = {**os.environ, "RAG_AUTH": login}
    result = subprocess.run([sys.executable, "app.py", "--host", "0.0.0.0", "--index", str(seed_index.index_dir)],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2 and "USER:PASSWORD" in result.stderr and "Traceback" not in result.stderr


def test_a_page_on_another_site_cannot_drive_the_app(app_server, tmp_path):
    import httpx

    url, corpus, _ = app_server
    assert httpx.get(url, timeout=30).status_code == 200
    rebound = httpx.get(url, headers={"Host": "attacker.example:7860"}, timeout=30)  # DNS rebinding
    assert rebound.status_code == 403
    # Gradio answers its session token to any Origin with credentials allowed: refused before it
    for foreign in ({"Origin": "http://attacker.example"}, {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}):
        stolen = httpx.get(url + "gradio_api/token", headers=foreign, timeout=30)
        assert stolen.status_code == 403 and "access-control-allow-origin" not in stolen.headers
        assert httpx.get(url + "gradio_api/queue/data?session_hash=x", headers=foreign, timeout=30).status_code == 403
    huge = httpx.post(url + "gradio_api/component_server", content=b"x" * (3 * 2**20),
                      headers={"Content-Type": "application/json"}, timeout=30)
    assert huge.status_code == 413
    files = {"files": ("csrf.txt", b"Planted\n\nPlanted text.", "text/plain")}
    foreign = httpx.post(url + "gradio_api/upload", files=files, headers={"Origin": "http://attacker.example"},
                         timeout=30)
    assert foreign.status_code == 403
    same = httpx.post(url + "gradio_api/upload", files=files, headers={"Origin": url.rstrip("/")}, timeout=30)
    assert same.status_code == 200, same.text
    many = [("files", (f"f{i}.txt", b"x", "text/plain")) for i in range(60)]
    assert httpx.post(url + "gradio_api/upload", files=many, timeout=30).status_code == 413
    assert not (corpus / "csrf.txt").exists()


def test_uploaded_articles_are_indexed_and_bad_ones_reported(app_server, tmp_path):
    from gradio_client import Client, handle_file

    url, corpus, _ = app_server
    good = tmp_path / "riyadh_park.txt"
    good.write_text("Riyadh opens Al-Nakheel park\n\nThe Riyadh municipality opened Al-Nakheel park on Sunday. "
                    "The park covers 120,000 square meters and has 4,000 palm trees, the mayor Khalid Al-Saud said.\n",
                    encoding="utf-8")
    binary = tmp_path / "broken.txt"
    binary.write_bytes(b"\x00\x01\x02 not text \xff\xfe" * 50)
    client = Client(url, verbose=False)
    report, status, *_ = client.predict([handle_file(good), handle_file(binary)], False, api_name="/add_articles")
    assert "Added 1" in report and "broken.txt" in report and "binary" in report
    assert "3 articles" in status
    assert (corpus / "riyadh_park.txt").exists() and not (corpus / "broken.txt").exists()

    answer, sources = client.predict("How many palm trees does Al-Nakheel park have?", 3, False, api_name="/chat")
    assert "4,000" in answer or "4000" in answer
    assert "riyadh_park" in sources


def test_twenty_users_at_once_all_get_answers(app_server):
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    questions = ["Who is the Kremlin spokesman?", "من هو المتحدث باسم البيت الأبيض؟",
                 "Who did John Kerry intend to meet on Wednesday?", "What is the capital of Australia?"]

    def ask(i):
        return Client(app_server[0], verbose=False).predict(questions[i % len(questions)], 3, False, api_name="/chat")

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(ask, range(20)))  # an error in any request raises here
    assert len(results) == 20
    for i, (answer, sources) in enumerate(results):
        assert answer.strip(), f"request {i} got an empty answer"
        if i % len(questions) == 3:
            assert "do not say" in answer


def test_an_upload_never_overwrites_and_replacing_keeps_the_old_file(app_server, tmp_path):
    from gradio_client import Client, handle_file

    url, corpus, _ = app_server
    first = tmp_path / "first" / "market_note.txt"
    first.parent.mkdir()
    first.write_text("Dates market opens\n\nThe dates market in Qassim opened on Monday with 300 traders.\n",
                     encoding="utf-8")
    second = tmp_path / "second" / "market_note.txt"
    second.parent.mkdir()
    second.write_bytes(b"Dates market closes\n\nThe dates market in Qassim closed on Friday \xff.\n")
    client = Client(url, verbose=False)
    report, *_ = client.predict([handle_file(first)], False, api_name="/add_articles")
    assert "Added 1" in report
    report, *_ = client.predict([handle_file(second)], False, api_name="/add_articles")
    assert "Nothing was added" in report and "already has a file named market_note.txt" in report
    assert "300 traders" in (corpus / "market_note.txt").read_text(encoding="utf-8")
    report, *_ = client.predict([handle_file(second)], True, api_name="/add_articles")
    assert "updated 1" in report and "replaced files were kept" in report
    assert "Warnings:" in report and "invalid UTF-8" in report  # the replaced byte is said, not hidden
    assert b"closed on Friday" in (corpus / "market_note.txt").read_bytes()
    [kept] = (corpus / ".replaced").iterdir()
    assert "300 traders" in kept.read_text(encoding="utf-8")
