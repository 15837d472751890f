"""The browser UI's API, through gradio_client against a real server on loopback."""

import socket
import subprocess
import sys
import time

import pytest

from rag.config import REPO_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(seed_index, tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("app") / "app.log", "w")
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--index", str(seed_index.index_dir)],
                               cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while time.time() < deadline:
        assert process.poll() is None, open(log.name).read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(1)
    else:
        process.kill()
        pytest.fail("the app did not start in 300 s")
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.parametrize("question, article", [
    ("ماذا قال بيسكوف عن مركز المعلومات في بغداد؟", "000_832fa2db40460904"),
    ("Who did John Kerry intend to meet on Wednesday?", "000_832fa2db40460904"),
])
def test_chat_api_returns_a_cited_answer_and_its_sources(server, question, article):
    from gradio_client import Client

    answer, sources = Client(server, verbose=False).predict(question, 3, False, api_name="/chat")
    assert "[" in answer and "]" in answer
    n = answer.split("[", 1)[1].split("]", 1)[0]
    assert f'id="src-{n}"' in sources and article in sources
    assert "<mark>" in sources


def test_chat_api_refuses_plainly_without_sources(server):
    from gradio_client import Client

    answer, sources = Client(server, verbose=False).predict("Who won the 2014 football World Cup?", 3, False,
                                                            api_name="/chat")
    assert answer == "The articles do not say."
    assert 'class="refused"' in sources and "src-" not in sources


def test_serving_beyond_loopback_needs_a_login(seed_index):
    result = subprocess.run([sys.executable, "app.py", "--host", "0.0.0.0", "--index", str(seed_index.index_dir)],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--auth" in result.stderr
