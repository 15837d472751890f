"""The chat UI in the browser (Gradio). Renders answers and sources; the answering is rag.chat's.

    python app.py [--host 127.0.0.1] [--port 7860] [--index DIR] [--corpus DIR]
                  [--auth-file FILE] [--ssl-certfile FILE --ssl-keyfile FILE]

Builds the index from the corpus folder (seeds/) first if there is none; articles uploaded in the
UI are saved into that folder and added to the index.

Answers are shown as plain text (escaped, no Markdown), so nothing an article or the LLM writes
becomes markup in the page. Requests pass rag.guard first (Host, Origin, upload limits); beyond
loopback a login is required (RAG_AUTH=USER:PASSWORD or --auth-file), throttled.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from starlette.middleware import Middleware  # noqa: E402

from rag.arabic import language  # noqa: E402
from rag.chat import Answer, Assistant, QuestionError  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.types import Citation  # noqa: E402
from rag.corpus import SUFFIXES, ReadCancelled  # noqa: E402
from rag.dates import shown_date  # noqa: E402
from rag.filters import FilterError, make_filter  # noqa: E402
from rag.guard import LOOPBACK_NAMES, LoginThrottle, RequestGuard, hide_paths, parse_login  # noqa: E402
from rag.embedder import Embedder  # noqa: E402
from rag.ingest import IngestCancelled, TooLarge, build_missing_index, describe_progress, ingest  # noqa: E402
from rag.llm import LLMError  # noqa: E402
from rag.prompts import refusal, withheld  # noqa: E402
from rag.index_folder import StoreError  # noqa: E402
from rag.uploads import MAX_FILE_BYTES, MAX_FILES, MAX_UPLOAD_BYTES, accept  # noqa: E402

QUEUE_SIZE = 64  # questions and uploads waiting at once; more are told the server is busy
CACHE_CLEANUP = (3600, 3600)  # Gradio's uploaded-file cache: checked hourly, files over an hour old go
UPLOAD_CHUNKS = 20_000  # passages one upload may add (about an hour of embedding on two cores)
UPLOAD_SECONDS = 3600  # an upload's embedding stops (nothing saved) after this long
UPLOAD_LOCK_SECONDS = 5  # how long an upload waits for another writer of the index before saying so

EXAMPLES = [
    "What did Peskov say about the Baghdad center?",
    "ماذا قال بيسكوف عن مركز المعلومات في بغداد؟",
    "Who did John Kerry intend to meet on Wednesday?",
    "من هو المتحدث باسم البيت الأبيض؟",
]

# Per-message direction (Arabic right-to-left, English left-to-right, in one conversation) and
# clickable [n] markers that bring their passage into view. The answer text itself stays plain,
# so the API returns it with its [n] markers.
HEAD = """
<script>
(() => {
  const arabic = /[\\u0600-\\u06FF]/g, latin = /[A-Za-z]/g;
  function direction(text) {
    const a = (text.match(arabic) || []).length, l = (text.match(latin) || []).length;
    return a >= 0.3 * (a + l) && a > 0 ? "rtl" : "ltr";
  }
  function linkCitations(node) {
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    const texts = [];
    while (walker.nextNode()) if (/\\[\\d+\\]/.test(walker.currentNode.nodeValue)) texts.push(walker.currentNode);
    for (const t of texts) {
      if (t.parentElement.closest("a.cite")) continue;
      const span = document.createElement("span");
      span.innerHTML = t.nodeValue.replace(/[&<>]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[c]))
        .replace(/\\[(\\d+)\\]/g, '<a class="cite" href="#src-$1" data-n="$1">[$1]</a>');
      t.replaceWith(span);
    }
  }
  function refresh() {
    document.querySelectorAll(".message-content, [data-testid='bot'], [data-testid='user']").forEach(el => {
      const dir = direction(el.innerText || "");
      if (el.getAttribute("dir") !== dir) el.setAttribute("dir", dir);
      if (el.matches("[data-testid='bot']")) {
        const text = (el.innerText || "").trim();
        el.classList.toggle("refusal", (window.RAG_REFUSALS || []).includes(text));
        el.classList.toggle("draft", text.startsWith(window.RAG_DRAFT || "\u0000"));
      }
      if (el.matches("[data-testid='bot']") || el.closest("[data-testid='bot']")) linkCitations(el);
    });
  }
  document.addEventListener("click", e => {
    const a = e.target.closest("a.cite");
    if (!a) return;
    e.preventDefault();
    const target = document.getElementById("src-" + a.dataset.n);
    if (target) {
      document.querySelectorAll(".source.active").forEach(s => s.classList.remove("active"));
      target.classList.add("active");
      target.scrollIntoView({behavior: "smooth", block: "center"});
    }
  });
  new MutationObserver(refresh).observe(document.documentElement, {childList: true, subtree: true, characterData: true});
})();
</script>
"""

CSS = """
.source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 12px; margin-bottom: 8px; }
.source.active { border-color: var(--color-accent); box-shadow: 0 0 0 2px var(--color-accent-soft); }
.source .meta { font-size: 0.85em; opacity: 0.75; }
.source .context { font-size: 0.9em; }
.source mark { background: #fde68a; color: inherit; padding: 0 2px; }
.refused { border-left: 4px solid #9ca3af; padding: 8px 12px; opacity: 0.9; }
a.cite { font-weight: 600; text-decoration: none; cursor: pointer; }
[data-testid='bot'].refusal { font-style: italic; opacity: 0.7; border-inline-start: 4px solid #9ca3af; }
[data-testid='bot'].draft { font-style: italic; opacity: 0.55; border-inline-start: 4px dashed #d97706; }
.verdicts { font-size: 0.9em; margin-bottom: 8px; }
.verdicts .ok { color: #15803d; }
.verdicts .withheld { color: #92400e; }
"""


def message_text(content) -> str:
    """A Gradio message's content as text: Gradio 6 sends a list of {"type": "text", "text": …}
    parts (files and components have no text), older versions and the API a plain string."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if isinstance(content, (list, tuple)):
        return "\n".join(part["text"] for part in content
                         if isinstance(part, dict) and part.get("type", "text") == "text"
                         and isinstance(part.get("text"), str))
    return ""


def history_pairs(history: list[dict]) -> list[tuple[str, str]]:
    """Gradio's messages list -> (question, answer) pairs, the answers as the assistant wrote
    them (shown_text's escaping undone); Assistant caps their length and number."""
    pairs, question = [], None
    for message in history or []:
        if not isinstance(message, dict):
            continue
        text = message_text(message.get("content"))
        if message.get("role") == "user":
            question = text
        elif message.get("role") == "assistant" and question is not None:
            pairs.append((question, html.unescape(text)))
            question = None
    return pairs


def shown_text(text: str) -> str:
    """An answer as the chat shows it: plain text. The Chatbot renders no Markdown
    (render_markdown=False) and the text is escaped, so a tag, a link or an image written by the
    LLM or copied from an article shows as its characters and never becomes markup. The [n]
    markers are made links by the page's own script (HEAD), which builds them from text."""
    return html.escape(text, quote=False)


# The first line of a streamed draft: the draft is provisional until the verifier has run, and
# the final message holds only the sentences it confirmed.
DRAFT = "Draft, being checked against the articles… / مسودة قيد التحقق…"
# Shown while a first question waits for the model to load (seconds; longer the first time).
WARMING = "Warming up the model, your question is next… / جارٍ تجهيز النموذج، سؤالك التالي…"


def draft_text(partial: str) -> str:
    return shown_text(f"{DRAFT}\n{partial}")


def highlighted(citation: Citation) -> str:
    """The cited passage as HTML, the sentence that supports the answer marked."""
    text, start, end = citation.text, citation.quote_start - citation.start, citation.quote_end - citation.start
    return (html.escape(text[:start]) + f"<mark>{html.escape(text[start:end])}</mark>"
            + html.escape(text[end:]))


def safe_link(url: str) -> str | None:
    """An article's URL as a link target: only http(s), so a file cannot plant a javascript: link."""
    parts = urlparse(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _source(c: Citation) -> str:
    """[1] headline — outlet, 29 September 2015 · page 3, the headline a link when the article has
    a URL; then the passage, the supporting sentence marked."""
    title = html.escape(c.title)
    link = safe_link(c.url)
    if link:
        title = f'<a href="{html.escape(link)}" target="_blank" rel="noopener noreferrer">{title}</a>'
    # bdi: the outlet and date keep their own direction inside a right-to-left headline line
    context = f' — <bdi class="context">{html.escape(c.context())}</bdi>' if c.context() else ""
    return (f'<div class="source" id="src-{c.n}" dir="{"rtl" if language(c.text) == "ar" else "ltr"}">'
            f'<div><b>[{c.n}] {title}</b>{context}</div>'
            f'<div class="meta" dir="ltr">{html.escape(c.article_id)} · characters {c.start}–{c.end}</div>'
            f'<p>{highlighted(c)}</p></div>')


def _verdicts(answer: Answer) -> str:
    """Each draft sentence's verdict: shown with the passage that supports it, or withheld and why."""
    rows = []
    for v in answer.sentences:
        if v.shown:
            rows.append(f'<li class="ok">✓ verified [{v.n}]: {html.escape(v.sentence)}</li>')
        else:
            rows.append(f'<li class="withheld">✗ withheld ({html.escape(v.verdict)})</li>')
    return f'<ul class="verdicts" dir="auto">{"".join(rows)}</ul>' if rows else ""


def sources_html(answer: Answer | None, show_retrieved: bool = False) -> str:
    if answer is None:
        return ""
    if answer.refused:
        if answer.withheld:
            note = ("كتب النموذج جوابًا لكن المقالات لا تؤكده؛ هذه أقرب المقاطع، والجملة الأقرب إلى السؤال مظللة."
                    if answer.lang == "ar" else "The model drafted an answer the articles do not confirm. The "
                    "closest passages, their sentence nearest the question marked, for you to read:")
        else:
            note = ("لم يُعثر في المقالات على ما يجيب عن السؤال. هذه أقرب المقاطع:" if answer.lang == "ar"
                    else "Nothing in the articles answers this question. The closest passages:")
        return "\n".join([f'<div class="refused" dir="auto">{html.escape(note)}</div>', _verdicts(answer),
                          *(_source(c) for c in answer.closest)])
    rows = [_verdicts(answer), *(_source(c) for c in answer.citations)]
    if show_retrieved:
        cited = {c.n for c in answer.citations}
        for n, p in enumerate(answer.passages, 1):
            if n in cited:
                continue
            rows.append(
                f'<div class="source" id="src-{n}" dir="auto"><div><b>[{n}] {html.escape(p.title)}</b>'
                f' <span class="meta">(retrieved, not cited; score {p.score:.2f})</span></div>'
                f'<p>{html.escape(p.text)}</p></div>')
    return "\n".join(rows)


def shown_to(remote: bool, settings: Settings):
    """What messages become on their way to the browser: as they are on loopback; beyond it,
    without the server's paths (the index folder, the model cache, the corpus folder)."""
    if not remote:
        return lambda text: text
    folders = {str(settings.index_dir): "the index folder", str(settings.corpus_dir): "the corpus folder",
               str(settings.model_dir): "the model cache", str(Path.home()): "~"}
    return lambda text: hide_paths(text, folders)


def index_status(assistant: Assistant, remote: bool = False) -> str:
    store = assistant.store
    dated, outlets = store.dates(), store.sources()
    spans = (f" · dated {shown_date(dated[0])} – {shown_date(dated[1])}" if dated else "") + \
        (f" · {len(outlets)} sources" if outlets else "")
    where = assistant.settings.index_dir.name if remote else assistant.settings.index_dir
    return (f"**Index** `{where}`: {len(store.articles)} articles, "
            f"{len(store.chunks)} chunks{spans} · **embedder** {store.manifest['embedder']['name']} "
            f"({store.manifest['embedder']['dim']}-d) · **LLM** {assistant.llm_name}")


_INGEST_LOCK = threading.Lock()  # one upload is ingested at a time in this process
_CANCEL = threading.Event()  # set by the Stop button: the running upload stops before it saves


def _report_lines(problems) -> list[str]:
    return [f"- **{html.escape(p.path)}**{html.escape(p.where)}: {html.escape(p.reason)}" for p in problems]


READ_SHOWN = 5  # articles of one file listed in the upload report; the rest are counted


def read_lines(accepted) -> list[str]:
    """What was read of each saved file: each article's headline, date and source as extracted,
    so a user sees at once a headline or date that came out wrong."""
    lines = []
    for path in accepted.saved:
        articles = accepted.articles.get(path.name, [])
        for article in articles[:READ_SHOWN]:
            meta = article.meta
            found = ", ".join(filter(None, (meta.source, shown_date(meta.date) if meta.date else "no date",
                                            f"{len(meta.pages)} pages" if meta.pages else "")))
            lines.append(f"- **{html.escape(path.name)}**: {html.escape(article.title)} ({html.escape(found)})")
        if len(articles) > READ_SHOWN:
            lines.append(f"- **{html.escape(path.name)}**: and {len(articles) - READ_SHOWN:,} more articles")
    return lines


def indexed_ids(assistant: Assistant) -> dict[str, str]:
    """Every article id of the index (other copies' ids too) -> the file it was read from."""
    ids = {}
    for article_id, meta in assistant.store.articles.items():
        ids[article_id] = meta.get("source_path", "")
        for alias in meta.get("aliases", []):
            ids.setdefault(alias, "")
    return ids


def add_articles(assistant: Assistant, files: list[str] | None, progress, replace: bool = False) -> str:
    """Check uploaded files, index the good ones and then place them in the corpus folder; a
    Markdown report of what was added, what was refused and why, and what to know about what
    was added. Each file is read once, in the reading worker (its limits, Stop heard while it
    reads); a failed or stopped upload leaves the corpus folder and the index as they were."""
    if not files:
        return "Choose one or more article files first."
    uploaded = [(Path(f).name, Path(f)) for f in files]
    settings = assistant.settings
    with _INGEST_LOCK:
        _CANCEL.clear()
        started, waited, shown = time.monotonic(), 0.0, [0.0, ""]

        def show(done: int, total: int, articles: int) -> None:
            shown[:] = done / total, describe_progress(done, total, articles, time.monotonic() - started - waited)
            progress(shown[0], desc=shown[1])

        def stop() -> bool:
            return _CANCEL.is_set() or time.monotonic() - started - waited > UPLOAD_SECONDS

        def answers_first() -> None:  # a question asked meanwhile is answered at full speed
            nonlocal waited
            if assistant.priority.busy:
                progress(shown[0], desc=f"{shown[1]} · waiting while a question is answered")
            waited += assistant.priority.wait_for_answers()

        progress(0, desc="Reading articles")
        try:
            accepted = accept(uploaded, settings.corpus_dir, indexed_ids(assistant), replace=replace,
                              limits=settings.read_limits, should_stop=stop)
        except ReadCancelled:
            return "Stopped: nothing was added; the index is as it was."
        refused = _report_lines(accepted.problems)
        if not accepted.saved:
            return "Nothing was added.\n" + "\n".join(refused)
        try:
            report = ingest(accepted.saved, settings, assistant.embedder, progress=show, remove_missing=False,
                            lock_timeout=UPLOAD_LOCK_SECONDS, max_chunks=UPLOAD_CHUNKS, should_stop=stop,
                            pause=answers_first, loaded=accepted.loaded())
        except (IngestCancelled, TooLarge, StoreError) as exc:
            accepted.discard()
            why = ("Stopped: nothing was added; the index is as it was." if isinstance(exc, IngestCancelled)
                   else f"Nothing was added: {html.escape(str(exc))}")
            return why + ("\n\nNot added:\n" + "\n".join(refused) if refused else "")
        except BaseException:
            accepted.discard()  # an unexpected failure leaves no file in the corpus that is not indexed
            raise
        refused += _report_lines(accepted.place())  # the index holds them: now the files
        assistant.reload_index()
    refused += _report_lines(report.problems)
    warnings = _report_lines(accepted.warnings + report.warnings)
    replaced = (f" {len(accepted.replaced)} replaced files were kept in "
                f"{html.escape(str(settings.corpus_dir / '.replaced'))}." if accepted.replaced else "")
    head = (f"Added {len(report.added)} and updated {len(report.changed)} articles "
            f"({report.chunks_embedded} passages embedded in {report.seconds:.1f} s); "
            f"{report.unchanged} were already indexed.{replaced}")
    read = read_lines(accepted)
    return (head + ("\n\nRead:\n" + "\n".join(read) if read else "")
            + ("\n\nNot added:\n" + "\n".join(refused) if refused else "")
            + ("\n\nWarnings:\n" + "\n".join(warnings) if warnings else ""))


def responder(assistant: Assistant, shown=lambda text: text):
    """The chat's function for Gradio: (message, history, top_k, show_retrieved, since, until,
    sources) -> (shown answer, sources HTML), the draft streamed as it is written, then the
    checked answer with its sources; since/until/sources choose which articles may answer.
    `shown` makes an error message fit for the browser (shown_to)."""
    def respond(message, history: list[dict], top_k: int, show_retrieved: bool, since: str = "", until: str = "",
                sources: list[str] | None = None):
        partial = ""
        try:
            ready = getattr(assistant, "ready", None)
            if ready is not None and not ready.is_set():  # the question waits for the warm-up: say so
                yield shown_text(WARMING), ""
            where = make_filter(since, until, sources, assistant.store.sources() if sources else {})
            for piece in assistant.stream(message_text(message), history_pairs(history), int(top_k), where):
                if isinstance(piece, Answer):
                    yield shown_text(piece.answer), sources_html(piece, show_retrieved)
                else:
                    partial += piece
                    yield draft_text(partial), ""
        except (QuestionError, LLMError, FilterError) as exc:  # said in the chat: a question it cannot take, a server down
            yield shown_text(shown(str(exc))), ""
    return respond


def json_answerer(assistant: Assistant, shown=lambda text: text):
    """The API `rag ask --server` calls: (question, top_k, since, until, sources) -> JSON lines,
    each {"piece": text} as the draft is written, then {"answer": Answer.to_json()}, or
    {"error": message} for a question it cannot take. The same answer path, LLM queue and login
    as the chat."""
    def ask(question: str, top_k: int = 3, since: str = "", until: str = "", sources: str = "") -> Iterator[str]:
        try:
            chosen = [s for s in sources.split(",") if s.strip()]
            where = make_filter(since, until, chosen, assistant.store.sources() if chosen else {})
            for piece in assistant.stream(question, [], int(top_k), where):
                yield json.dumps({"answer": piece.to_json()} if isinstance(piece, Answer) else {"piece": piece},
                                 ensure_ascii=False)
        except (QuestionError, LLMError, FilterError) as exc:
            yield json.dumps({"error": shown(str(exc))}, ensure_ascii=False)
    return ask


def build(assistant: Assistant, remote: bool = False) -> gr.Blocks:
    """The UI; `remote` when it is served beyond loopback (its messages keep no server paths)."""
    shown = shown_to(remote, assistant.settings)
    respond = responder(assistant, shown)

    with gr.Blocks(title="News Q&A · أسئلة الأخبار", fill_height=True, delete_cache=CACHE_CLEANUP) as demo:
        sources = gr.HTML(render=False, elem_id="sources")
        top_k = gr.Slider(1, 8, value=assistant.settings.top_k, step=1, label="Passages given to the LLM",
                          render=False)
        show_retrieved = gr.Checkbox(False, label="Show retrieved passages that were not cited", render=False)
        dated = assistant.store.dates()
        since = gr.Textbox("", label="Articles from (date) · من تاريخ", placeholder=dated[0] if dated else "2015-09-29",
                           render=False, elem_id="filter-since", max_lines=1)
        until = gr.Textbox("", label="Articles until (date) · حتى تاريخ", placeholder=dated[1] if dated else "2015-09-30",
                           render=False, elem_id="filter-until", max_lines=1)
        outlets = gr.Dropdown(choices=list(assistant.store.sources()), value=[], multiselect=True,
                              label="Sources · المصادر (none chosen: all)", render=False, elem_id="filter-sources")
        gr.Markdown("## News Q&A · أسئلة وأجوبة الأخبار\nAsk in Arabic or English. Every answer cites "
                    "the article passages it uses; when the articles do not hold the answer, it says so.")
        with gr.Row():
            with gr.Column(scale=3):
                new_chat = gr.Button("New chat · محادثة جديدة", size="sm", elem_id="new-chat")
                chat = gr.ChatInterface(
                    respond, chatbot=gr.Chatbot(height=560, label="Chat", buttons=["copy"],
                                                render_markdown=False, sanitize_html=True, allow_tags=False),
                    additional_inputs=[top_k, show_retrieved, since, until, outlets],
                    additional_inputs_accordion="Settings",
                    additional_outputs=[sources], examples=[[e] for e in EXAMPLES],
                    cache_examples=False, api_name="chat", concurrency_limit=1)
            with gr.Column(scale=2):
                gr.Markdown("### Sources · المصادر")
                sources.render()
                with gr.Accordion("Articles · المقالات", open=False):
                    status = gr.Markdown(index_status(assistant, remote))
                    files = gr.File(
                        label=f"Add articles ({', '.join(sorted(SUFFIXES))}; up to {MAX_FILES} files, "
                              f"{MAX_FILE_BYTES // (1024 * 1024)} MB each, {MAX_UPLOAD_BYTES // (1024 * 1024)} MB in all)",
                        file_count="multiple", file_types=sorted(SUFFIXES), type="filepath")
                    replace = gr.Checkbox(False, label="Replace files of the same name (the old ones are kept "
                                                       "in the corpus's .replaced/ folder)")
                    with gr.Row():
                        add = gr.Button("Add to the index")
                        stop = gr.Button("Stop adding", size="sm")
                    added = gr.Markdown(elem_id="upload-report")
        new_chat.click(lambda: ([], [], "", ""), None, [chat.chatbot, chat.chatbot_state, chat.textbox, sources],
                       api_visibility="private", queue=False)

        def upload(chosen, replacing, progress=gr.Progress()):
            report = shown(add_articles(assistant, chosen, progress, bool(replacing)))
            return report, index_status(assistant, remote), None, gr.update(choices=list(assistant.store.sources()))

        add.click(upload, [files, replace], [added, status, files, outlets], api_name="add_articles",
                  concurrency_limit=1, concurrency_id="ingest")
        stop.click(_CANCEL.set, None, None, queue=False, api_visibility="private")
        gr.api(json_answerer(assistant, shown), api_name="ask", concurrency_limit=1)
    return demo


def allowed_hosts(host: str) -> set[str] | None:
    """Host names requests may carry (rag.guard): on loopback only the loopback names; on a
    named address that name, the loopback names and RAG_ALLOWED_HOSTS; on every interface
    (0.0.0.0, ::) RAG_ALLOWED_HOSTS with the loopback names, or any name when it is unset."""
    extra = {h.strip().lower() for h in os.environ.get("RAG_ALLOWED_HOSTS", "").split(",") if h.strip()}
    if host in LOOPBACK_NAMES:
        return set(LOOPBACK_NAMES)
    if host in ("0.0.0.0", "::"):
        return (extra | LOOPBACK_NAMES) if extra else None
    return {host.lower()} | LOOPBACK_NAMES | extra


def read_login(auth_file: str | None) -> str | None:
    """The USER:PASSWORD login from --auth-file (its first line) or else RAG_AUTH; never from a
    command-line value, which any user of the machine can read in `ps`."""
    if auth_file:
        return (Path(auth_file).read_text(encoding="utf-8").splitlines() or [""])[0]
    return os.environ.get("RAG_AUTH")


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, auth_file: str | None = None,
          ssl_certfile: str | None = None, ssl_keyfile: str | None = None) -> int:
    """Serve the chat UI: the one entry of `rag serve` and `python app.py`. Builds the index
    from the corpus folder first if there is none (the embedder loaded once, for both)."""
    loopback = host in LOOPBACK_NAMES
    try:
        login = read_login(auth_file)
        auth = LoginThrottle(*parse_login(login)) if login else None
    except (OSError, IndexError, ValueError) as exc:
        print(f"error: the login (--auth-file or RAG_AUTH) is unusable: {exc}", file=sys.stderr)
        return 2
    if not loopback and auth is None:
        print("error: serving beyond this machine needs a login: RAG_AUTH=USER:PASSWORD or --auth-file FILE",
              file=sys.stderr)
        return 2
    if bool(ssl_certfile) != bool(ssl_keyfile):
        print("error: --ssl-certfile and --ssl-keyfile go together", file=sys.stderr)
        return 2
    embedder = Embedder.from_settings(settings)
    report = build_missing_index(settings, embedder)
    if report is not None:
        print(f"built the index in {settings.index_dir} from {settings.corpus_dir}: {report.total_articles} "
              f"articles ({len(report.problems)} files skipped)", file=sys.stderr)
    assistant = Assistant(settings, embedder=embedder)
    demo = build(assistant, remote=not loopback)
    refusals = (f"<script>window.RAG_REFUSALS = {json.dumps([say(lang) for say in (refusal, withheld) for lang in ('en', 'ar')])};"
                f" window.RAG_DRAFT = {json.dumps(DRAFT)};</script>")
    guard = Middleware(RequestGuard, allowed_hosts=allowed_hosts(host), max_files=MAX_FILES,
                       max_upload_bytes=MAX_UPLOAD_BYTES)
    # share and mcp_server are passed as False so GRADIO_SHARE / GRADIO_MCP_SERVER in the
    # environment cannot open a public tunnel or a tool endpoint; errors show their details
    # (server paths) only on loopback.
    demo.queue(default_concurrency_limit=1, max_size=QUEUE_SIZE).launch(
        server_name=host, server_port=port, auth=auth, head=refusals + HEAD, css=CSS,
        show_error=loopback, max_file_size=MAX_FILE_BYTES, share=False, mcp_server=False,
        ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile, app_kwargs={"middleware": [guard]},
        prevent_thread_lock=True)
    # The LLM loads once the UI is up and has said where: llama.cpp silences the process's
    # stdout and stderr while it loads a model, which would swallow Gradio's "Running on" line.
    # A first question waits for the warm-up, and the UI says so.
    threading.Thread(target=assistant.warm_up, daemon=True).start()
    demo.block_thread()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Chat with the articles in the browser.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="interface to serve on (default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=7860)
    Settings.add_flags(parser)  # --index, --corpus, --llm-url … as `rag serve` takes them
    parser.add_argument("--auth-file", help="file whose first line is USER:PASSWORD, required to log in "
                        "(or env RAG_AUTH); needed with a --host other than loopback")
    parser.add_argument("--ssl-certfile", help="TLS certificate (PEM), to serve https beyond loopback")
    parser.add_argument("--ssl-keyfile", help="TLS private key (PEM)")
    args = parser.parse_args(argv)
    return serve(Settings.from_args(args), args.host, args.port, args.auth_file, args.ssl_certfile, args.ssl_keyfile)


if __name__ == "__main__":
    sys.exit(main())
