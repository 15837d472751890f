"""The UI's own logic without a server: Gradio's message shapes, answers rendered as text, the
login throttle, which hosts are served."""

import asyncio

import pytest

import app
from rag.chat import MAX_QUESTION_CHARS, trim_history
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
