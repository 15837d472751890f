"""The UI's own logic without a server: Gradio's message shapes, answers rendered as text, the
draft marked provisional and the verifier's verdicts shown, the login throttle, which hosts are
served."""

import asyncio

import pytest

import app
from rag.chat import MAX_QUESTION_CHARS, Answer, trim_history
from rag.prompts import refusal, withheld
from rag.types import Citation
from rag.verify import Signals, Verdict
from rag.guard import LoginThrottle, host_name, parse_login


def test_history_is_read_from_gradio_6_message_parts():
    history = [
        {"role": "user", "content": [{"type": "text", "text": "Who is the Kremlin spokesman?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Dmitry Peskov [1] &amp; others &lt;b&gt;"}]},
        {"role": "user", "content": "A plain string, as the API sends it"},
        {"role": "assistant", "content": [{"type": "file", "file": {"path": "x"}}, {"type": "text", "text": "Yes."}]},
        {"role": "user", "content": [{"type": "text", "text": "unanswered"}]},
    ]
    assert app.history_pairs(history) == [
        ("Who is the Kremlin spokesman?", "Dmitry Peskov [1] & others <b>"),  # as the assistant wrote it
        ("A plain string, as the API sends it", "Yes."),
    ]
    assert app.message_text({"type": "text", "text": "one part"}) == "one part"
    assert app.history_pairs(None) == []


def test_history_is_capped_per_message_and_in_all_oldest_first():
    history = [(f"q{i} " + "x " * 50, f"a{i} " + "y " * 50) for i in range(5)]
    words = lambda text: len(text.split())  # noqa: E731
    kept = trim_history(history, words, max_tokens=250, turns=3)
    assert [q.split()[0] for q, _ in kept] == ["q3", "q4"]  # the last three, then the oldest of them out
    long = trim_history([("q " * 5000, "a")], len, max_tokens=10**6)
    assert len(long[0][0]) == MAX_QUESTION_CHARS


def test_answers_are_shown_as_text_never_as_markup():
    answer = ('The park opened [1]. <svg><a href="javascript:alert(1)">x</a></svg> '
              '![beacon](http://127.0.0.1:9/b.png) <form><input></form> & more')
    shown = app.shown_text(answer)
    assert "<" not in shown and ">" not in shown
    assert "&lt;svg&gt;" in shown and "&amp; more" in shown and "[1]" in shown


def test_the_login_throttle_locks_out_guessing_even_before_the_right_password():
    now = [0.0]
    throttle = LoginThrottle("editor", "s3cret", free_tries=5, delay=0, lockout=30, clock=lambda: now[0])
    check = lambda user, password: asyncio.run(throttle(user, password))  # noqa: E731
    assert check("editor", "s3cret")
    for _ in range(200):
        assert not check("editor", "wrong")
    assert not check("editor", "s3cret")  # still locked out: 200 guesses then success is not possible
    now[0] += 10 ** 6
    assert check("editor", "s3cret")
    assert not check("editor", "s3cre") and not check("Editor", "s3cret")


@pytest.mark.parametrize("value", ["nocolon", ":pw", "user:", "", None])
def test_a_login_must_be_user_and_password(value):
    with pytest.raises(ValueError, match="USER:PASSWORD"):
        parse_login(value)
    assert parse_login("a:b:c") == ("a", "b:c")


def test_hosts_served():
    assert host_name("Example.org:7860") == "example.org" and host_name("[::1]:80") == "::1"
    assert app.allowed_hosts("127.0.0.1") == {"127.0.0.1", "localhost", "::1"}
    assert "news.example" in app.allowed_hosts("news.example")
    assert app.allowed_hosts("0.0.0.0") is None


class _Streaming:
    """An assistant stand-in whose stream is given: draft pieces, then the checked Answer."""

    def __init__(self, pieces):
        self.pieces = pieces

    def stream(self, question, history, top_k, where=None):
        yield from self.pieces


def _citation(n: int, text: str, quote: str) -> Citation:
    start = text.index(quote)
    return Citation(n, "000_x", "headline", text, 0, len(text), quote, start, start + len(quote))


def test_the_streamed_draft_is_marked_provisional_and_the_final_message_is_only_the_verified():
    passage = "Kerry will meet Lavrov on Wednesday. The talks were frank."
    verified = Verdict("Kerry will meet Lavrov on Wednesday.", "shown", 1, "Kerry will meet Lavrov on Wednesday.",
                       Signals(support=0.8, subject=1.0))
    dropped = Verdict("They agreed on everything.", "negation differs from the passage", 1, "The talks were frank.",
                      Signals(support=0.5, subject=1.0, polarity=False))
    answer = Answer("Who will Kerry meet?", "en", "Kerry will meet Lavrov on Wednesday [1].", refused=False,
                    citations=[_citation(1, passage, "Kerry will meet Lavrov on Wednesday.")],
                    sentences=[verified, dropped])
    shown = list(app.responder(_Streaming(["Kerry will meet ", "Lavrov. They agreed on everything.", answer]))(
        "Who will Kerry meet?", [], 3, False))
    drafts, (final, sources) = shown[:-1], shown[-1]
    assert drafts and all(text.startswith(app.DRAFT) and sources == "" for text, sources in drafts)
    assert final == "Kerry will meet Lavrov on Wednesday [1]." and "agreed" not in final
    assert "✓ verified [1]" in sources and "✗ withheld (negation differs from the passage)" in sources
    assert "They agreed" not in sources  # a withheld sentence is never shown as an answer
    assert "<mark>Kerry will meet Lavrov on Wednesday.</mark>" in sources


def test_with_no_verified_sentence_the_closest_passages_are_shown_their_best_sentence_marked():
    passage = "The Kremlin said Putin and Kerry did not discuss direct military cooperation."
    answer = Answer("Did they discuss military cooperation?", "en", withheld("en"), refused=True, withheld=True,
                    closest=[_citation(1, passage, passage)],
                    sentences=[Verdict("Yes, they discussed it.", "negation differs from the passage", 1, passage)])
    sources = app.sources_html(answer)
    assert "do not confirm" in sources and f"<mark>{passage}</mark>" in sources
    assert "✗ withheld (negation differs from the passage)" in sources
    gated = Answer("Who won the World Cup?", "en", refusal("en"), refused=True, gated=True,
                   closest=[_citation(1, passage, passage)])
    assert "Nothing in the articles answers" in app.sources_html(gated) and "<mark>" in app.sources_html(gated)


def test_a_source_shows_outlet_date_and_page_and_links_only_to_web_addresses():
    text = "The museum will display 400 manuscripts."
    cited = Citation(1, "museum", "A museum", text, 0, len(text), text, 0, len(text), source="Okaz",
                     date="2015-08-05", url="http://okaz.example/m?a=1&b=2", page=3)
    shown = app.sources_html(Answer("q", "en", "a [1].", refused=False, citations=[cited]))
    assert "[1] <a href=\"http://okaz.example/m?a=1&amp;b=2\" target=\"_blank\" rel=\"noopener noreferrer\">A museum</a>" in shown
    assert "Okaz, 5 August 2015 · page 3" in shown
    for planted in ("javascript:alert(1)", "data:text/html,<b>x</b>", "//evil.example/x"):
        cited.url = planted
        shown = app.sources_html(Answer("q", "en", "a [1].", refused=False, citations=[cited]))
        assert "<a href" not in shown and "[1] A museum" in shown


def test_a_question_asked_during_the_warm_up_is_told_it_waits():
    import threading

    answer = Answer("Who will Kerry meet?", "en", "The articles do not say.", refused=True)
    waiting = _Streaming([answer])
    waiting.ready = threading.Event()
    shown = [text for text, _ in app.responder(waiting)("Who will Kerry meet?", [], 3, False)]
    assert shown[0] == app.shown_text(app.WARMING) and shown[-1] == "The articles do not say."
    waiting.ready.set()
    assert [text for text, _ in app.responder(waiting)("Who will Kerry meet?", [], 3, False)] == ["The articles do not say."]


def test_beyond_loopback_messages_keep_no_server_paths(tmp_path):
    from pathlib import Path

    from rag.config import Settings
    from rag.guard import hide_paths
    from rag.llm import LLMError

    settings = Settings.load(index_dir=tmp_path / "srv" / "index", corpus_dir=tmp_path / "srv" / "corpus",
                             model_dir=tmp_path / "cache" / "models")
    message = (f"the index in {settings.index_dir}/versions/3 is damaged; the model "
               f"{settings.model_dir}/qwen.gguf; /etc/rag/other/day.json (line 3); see http://host/v1/models")
    hidden = app.shown_to(True, settings)(message)
    assert str(tmp_path) not in hidden and "/etc/rag" not in hidden
    assert "the index folder/versions/3" in hidden and "the model cache/qwen.gguf" in hidden
    assert "…/day.json (line 3)" in hidden and "http://host/v1/models" in hidden  # a URL is no path
    assert app.shown_to(False, settings)(message) == message  # on loopback the details help
    assert hide_paths(f"{Path.home()}/x/y.txt", {str(Path.home()): "~"}) == "~/x/y.txt"

    class Failing(_Streaming):
        def stream(self, question, history, top_k, where=None):
            raise LLMError(f"no GGUF model at {settings.model_dir}/qwen.gguf; run `rag setup`")

    [(said, _)] = list(app.responder(Failing([]), app.shown_to(True, settings))("q", [], 3, False))
    assert str(tmp_path) not in said and "the model cache/qwen.gguf" in said
    [line] = list(app.json_answerer(Failing([]), app.shown_to(True, settings))("q"))
    assert str(tmp_path) not in line and "the model cache" in line
