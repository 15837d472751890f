"""The chat UI in the browser (Gradio). Renders answers and sources; the answering is rag.chat's.

    python app.py [--host 127.0.0.1] [--port 7860] [--index DIR] [--corpus DIR]

Builds the index from the corpus folder (seeds/) first if there is none; articles uploaded in the
UI are saved into that folder and added to the index.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
import threading
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from rag.arabic import language  # noqa: E402
from rag.chat import Answer, Assistant, Citation, QuestionError  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.corpus import SUFFIXES  # noqa: E402
from rag.generator import refusal  # noqa: E402
from rag.ingest import ingest  # noqa: E402
from rag.uploads import MAX_FILE_BYTES, MAX_FILES, accept  # noqa: E402

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
      if (el.matches("[data-testid='bot']"))
        el.classList.toggle("refusal", (window.RAG_REFUSALS || []).includes((el.innerText || "").trim()));
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
.source mark { background: #fde68a; color: inherit; padding: 0 2px; }
.refused { border-left: 4px solid #9ca3af; padding: 8px 12px; opacity: 0.9; }
a.cite { font-weight: 600; text-decoration: none; cursor: pointer; }
[data-testid='bot'].refusal { font-style: italic; opacity: 0.7; border-inline-start: 4px solid #9ca3af; }
"""


def history_pairs(history: list[dict]) -> list[tuple[str, str]]:
    """Gradio's messages list -> (question, answer) pairs."""
    pairs, question = [], None
    for message in history:
        content = message.get("content")
        text = content if isinstance(content, str) else ""
        if message.get("role") == "user":
            question = text
        elif message.get("role") == "assistant" and question is not None:
            pairs.append((question, text))
            question = None
    return pairs


def highlighted(citation: Citation) -> str:
    """The cited passage as HTML, the sentence that supports the answer marked."""
    text, start, end = citation.text, citation.quote_start - citation.start, citation.quote_end - citation.start
    return (html.escape(text[:start]) + f"<mark>{html.escape(text[start:end])}</mark>"
            + html.escape(text[end:]))


def sources_html(answer: Answer | None, show_retrieved: bool = False) -> str:
    if answer is None:
        return ""
    if answer.refused:
        note = ("لم يُعثر في المقالات على ما يجيب عن السؤال." if answer.lang == "ar"
                else "Nothing in the articles answers this question.")
        return f'<div class="refused" dir="auto">{html.escape(note)}</div>'
    rows = []
    for c in answer.citations:
        rows.append(
            f'<div class="source" id="src-{c.n}" dir="{"rtl" if language(c.text) == "ar" else "ltr"}">'
            f'<div><b>[{c.n}] {html.escape(c.title)}</b></div>'
            f'<div class="meta" dir="ltr">{html.escape(c.article_id)} · characters {c.start}–{c.end}</div>'
            f'<p>{highlighted(c)}</p></div>')
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


def index_status(assistant: Assistant) -> str:
    store = assistant.store
    return (f"**Index** `{assistant.settings.index_dir}`: {len(store.articles)} articles, "
            f"{len(store.chunks)} chunks · **embedder** {store.manifest['embedder']['name']} "
            f"({store.manifest['embedder']['dim']}-d) · **LLM** {assistant.settings.llm.name}")


_INGEST_LOCK = threading.Lock()  # one upload is ingested at a time


def add_articles(assistant: Assistant, files: list[str] | None, progress) -> str:
    """Check uploaded files, copy the good ones into the corpus folder and index them; a
    Markdown report of what was added and what was refused and why."""
    if not files:
        return "Choose one or more article files first."
    uploaded = [(Path(f).name, Path(f)) for f in files]
    settings = assistant.settings
    with _INGEST_LOCK:
        accepted = accept(uploaded, settings.corpus_dir)
        lines = [f"- **{html.escape(p.path)}**{p.where}: {html.escape(p.reason)}" for p in accepted.problems]
        if not accepted.saved:
            return "Nothing was added.\n" + "\n".join(lines)

        def show(done: int, total: int, articles: int) -> None:
            progress(done / total, desc=f"Embedding {done}/{total} passages of {articles} articles")

        progress(0, desc="Reading articles")
        report = ingest(accepted.saved, settings, assistant.embedder, progress=show, remove_missing=False)
        assistant.reload_index()
    lines += [f"- **{html.escape(p.path)}**{p.where}: {html.escape(p.reason)}" for p in report.problems]
    head = (f"Added {len(report.added)} and updated {len(report.changed)} articles "
            f"({report.chunks_embedded} passages embedded in {report.seconds:.1f} s); "
            f"{report.unchanged} were already indexed.")
    return head + ("\n\nNot added:\n" + "\n".join(lines) if lines else "")


def build(assistant: Assistant) -> gr.Blocks:
    def respond(message: str, history: list[dict], top_k: int, show_retrieved: bool):
        partial = ""
        try:
            for piece in assistant.stream(message, history_pairs(history), int(top_k)):
                if isinstance(piece, Answer):
                    yield piece.answer, sources_html(piece, show_retrieved)
                else:
                    partial += piece
                    yield partial, ""
        except QuestionError as exc:
            yield str(exc), ""

    with gr.Blocks(title="News Q&A · أسئلة الأخبار", fill_height=True) as demo:
        sources = gr.HTML(render=False, elem_id="sources")
        top_k = gr.Slider(1, 8, value=assistant.settings.top_k, step=1, label="Passages given to the LLM",
                          render=False)
        show_retrieved = gr.Checkbox(False, label="Show retrieved passages that were not cited", render=False)
        gr.Markdown("## News Q&A · أسئلة وأجوبة الأخبار\nAsk in Arabic or English. Every answer cites "
                    "the article passages it uses; when the articles do not hold the answer, it says so.")
        with gr.Row():
            with gr.Column(scale=3):
                new_chat = gr.Button("New chat · محادثة جديدة", size="sm", elem_id="new-chat")
                chat = gr.ChatInterface(
                    respond, chatbot=gr.Chatbot(height=560, label="Chat", buttons=["copy"]),
                    additional_inputs=[top_k, show_retrieved],
                    additional_inputs_accordion="Settings",
                    additional_outputs=[sources], examples=[[e] for e in EXAMPLES],
                    cache_examples=False, api_name="chat", concurrency_limit=1)
            with gr.Column(scale=2):
                gr.Markdown("### Sources · المصادر")
                sources.render()
                with gr.Accordion("Articles · المقالات", open=False):
                    status = gr.Markdown(index_status(assistant))
                    files = gr.File(
                        label=f"Add articles ({', '.join(sorted(SUFFIXES))}; up to {MAX_FILES} files, "
                              f"{MAX_FILE_BYTES // (1024 * 1024)} MB each)",
                        file_count="multiple", file_types=sorted(SUFFIXES), type="filepath")
                    add = gr.Button("Add to the index")
                    added = gr.Markdown(elem_id="upload-report")
        new_chat.click(lambda: ([], [], "", ""), None, [chat.chatbot, chat.chatbot_state, chat.textbox, sources],
                       api_visibility="private", queue=False)

        def upload(chosen, progress=gr.Progress()):
            return add_articles(assistant, chosen, progress), index_status(assistant), None

        add.click(upload, files, [added, status, files], api_name="add_articles", concurrency_limit=1,
                  concurrency_id="ingest")
    return demo


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Chat with the articles in the browser.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="interface to serve on (default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--index", help="index folder (default: index/)")
    parser.add_argument("--corpus", help="article folder the index is built from and uploads go to (default: seeds/)")
    parser.add_argument("--auth", default=os.environ.get("RAG_AUTH"),
                        help="USER:PASSWORD required to log in (env RAG_AUTH); needed with a --host other than loopback")
    args = parser.parse_args(argv)
    settings = Settings.load(index_dir=args.index, corpus_dir=args.corpus)
    if not (settings.index_dir / "CURRENT").exists():
        from rag.cli import main as cli

        print(f"no index in {settings.index_dir}: building it from {settings.corpus_dir}", file=sys.stderr)
        if cli(["ingest", str(settings.corpus_dir), "--index", str(settings.index_dir)]) != 0:
            return 1
    loopback = args.host in ("127.0.0.1", "localhost", "::1")
    if not loopback and not args.auth:
        print("error: serving beyond this machine needs a login: --auth USER:PASSWORD", file=sys.stderr)
        return 2
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    assistant = Assistant(settings)
    threading.Thread(target=assistant.warm_up, daemon=True).start()  # a first question waits for it
    demo = build(assistant)
    refusals = f"<script>window.RAG_REFUSALS = {json.dumps([refusal('en'), refusal('ar')])};</script>"
    demo.queue(default_concurrency_limit=1).launch(
        server_name=args.host, server_port=args.port, auth=auth, head=refusals + HEAD, css=CSS,
        show_error=True, max_file_size="20mb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
