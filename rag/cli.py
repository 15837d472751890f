"""The `rag` command: parses arguments, calls the library, prints. No logic of its own."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from rag.config import Settings  # noqa: E402
from rag.sanitize import printable  # noqa: E402


def _err(*args) -> None:
    """A message on stderr; its control characters shown as escapes (an error text may come from
    a server or a file)."""
    print(*(printable(str(a)) for a in args), file=sys.stderr, flush=True)


def cmd_setup(args) -> int:
    from rag.models import ModelFetchError, fetch_all

    settings = Settings.from_args(args)
    try:
        fetch_all(settings.model_dir, log=_err)
    except ModelFetchError as exc:
        _err(f"error: {exc}")
        return 1
    _prepare_onnx_embedder(settings)
    return _setup_index(args, settings) or _prepare_prefixes(settings)


def _prepare_onnx_embedder(settings) -> None:
    """Export the embedder to its ONNX form once (rag.embedder_onnx), so that no start loads torch
    to embed a question. A model the exporter cannot take stays on torch, with a warning."""
    if settings.embedder_engine != "auto":
        return
    from rag.embedder import onnx_folder
    from rag.embedder_onnx import export, is_exported

    folder = onnx_folder(settings)
    if is_exported(folder):
        return
    _err(f"exporting the embedder to ONNX in {folder} (about 2 minutes, once)")
    started = time.perf_counter()
    try:
        export(settings.embedder, folder)
    except Exception as exc:  # noqa: BLE001 - any failure of the exporter leaves torch in use
        _err(f"warning: the embedder stays on torch (each start loads it in about 10 s): "
             f"its ONNX export failed: {type(exc).__name__}: {exc}")
        return
    _err(f"embedder's ONNX form ready ({time.perf_counter() - started:.0f} s)")


def _setup_index(args, settings) -> int:
    """Build the index if there is none, resume a stopped ingest, or rebuild an index an
    earlier version made with another document prompt."""
    from rag.index_folder import StoreError
    from rag.ingest import outdated, pending_ingest

    if not (settings.index_dir / "CURRENT").exists():
        _err(f"no index in {settings.index_dir}: building it from {settings.corpus_dir}")
        args.paths, args.rebuild, args.prune = [settings.corpus_dir], False, False
        return cmd_ingest(args)
    if pending_ingest(settings.index_dir):
        args.paths, args.rebuild, args.prune = [], False, False  # cmd_ingest resumes it
        return cmd_ingest(args)
    try:
        problem = outdated(settings)
    except StoreError as exc:  # a damaged index is not rebuilt behind the user's back
        _err(f"error: {exc}")
        return 1
    if problem:  # rebuilt with the same articles
        _err(f"{problem}: rebuilding {settings.index_dir}")
        args.paths, args.rebuild, args.prune = [], True, False
        return cmd_ingest(args)
    return 0


def _prepare_prefixes(settings) -> int:
    """Compute each language's fixed prompt prefix once and save its state in the model cache,
    so that no later start computes it (rag.llm.llamacpp); nothing to do for an LLM server."""
    if settings.llm_url:
        return 0
    from rag.chat import fixed_prefixes
    from rag.llm import load

    started = time.perf_counter()
    llm = load(settings)
    prefixes = fixed_prefixes(settings)
    for fixed in prefixes:
        llm.prepare(fixed)
    _err(f"prompt prefixes ready in {settings.model_dir / 'prefix-states'} "
         f"({llm.prefixes_loaded} of {len(prefixes)} already there; {time.perf_counter() - started:.1f} s)")
    return 0


def _progress_printer():
    from rag.ingest import describe_progress

    started = time.perf_counter()
    tty = sys.stderr.isatty()

    def show(done: int, total: int, articles: int) -> None:
        line = "  " + describe_progress(done, total, articles, time.perf_counter() - started)
        if tty:
            print("\r" + line, end="" if done < total else "\n", file=sys.stderr, flush=True)
        elif done == total or done % 50 < 8:
            _err(line)
    return show


def cmd_ingest(args) -> int:
    from rag.embedder import Embedder
    from rag.index_folder import IndexBusy, indexed_sources, writer_lock
    from rag.ingest import ingest, pending_ingest
    from rag.priority import lower_cpu_priority

    if args.command == "ingest":  # a running `rag serve` answers first (rag.priority)
        lower_cpu_priority()
    settings = Settings.from_args(args)
    paths = [Path(p) for p in args.paths]
    pending = None if paths else pending_ingest(settings.index_dir)
    if pending:  # an ingest was stopped after committing part of its articles: finish it
        paths = [Path(p) for p in pending["paths"]]
        args.rebuild = args.rebuild or pending["rebuild"]
        args.prune = args.prune or pending["remove_missing"]
        _err(f"resuming the ingest of {', '.join(map(str, paths))} that stopped before it finished "
             f"(the articles it committed are kept)")
    if not paths and args.rebuild:
        paths = indexed_sources(settings.index_dir)
        if paths:
            _err(f"rebuilding {settings.index_dir} from the {len(paths)} files its articles came from")
    paths = paths or [settings.corpus_dir]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        _err(f"error: no such file or folder: {', '.join(missing)}"
             + ("; name the folders or files to index" if not args.paths else ""))
        return 2
    _err(f"loading embedder {settings.embedder}")
    embedder = Embedder.from_settings(settings)
    # Named files are added; a folder (or --prune) also drops indexed articles not found under it.
    prune = True if args.prune else None
    try:  # only to say why it waits: ingest takes the lock itself, for as long as it writes
        with writer_lock(settings.index_dir, timeout=0):
            pass
    except IndexBusy:
        _err(f"waiting for another process writing {settings.index_dir} to finish")
    try:
        report = ingest(paths, settings, embedder, rebuild=args.rebuild, progress=_progress_printer(),
                        remove_missing=prune, batch_chunks=settings.ingest_batch)
    except KeyboardInterrupt:
        _err(f"\nstopped: the batches committed stay in {settings.index_dir}; `rag ingest` resumes the rest")
        return 130
    for problem in report.problems:
        _err(f"skipped {printable(str(problem))}")
    for warning in report.warnings:
        _err(f"warning {printable(str(warning))}")
    if report.removed:
        shown = ", ".join(report.removed[:10]) + (" …" if len(report.removed) > 10 else "")
        _err(f"removed {len(report.removed)} articles not found under {', '.join(map(str, paths))}: {printable(shown)}")
    _err(f"index {settings.index_dir}: {report.total_articles} articles, {report.total_chunks} chunks "
         f"(added {len(report.added)}, changed {len(report.changed)}, removed {len(report.removed)}, "
         f"unchanged {report.unchanged}; embedded {report.chunks_embedded} chunks in {report.seconds:.1f} s)")
    return 0


def _assistant(settings):
    from rag.chat import Assistant

    return Assistant(settings)


def print_sources(answer, out=sys.stdout) -> None:
    """The verdict of each draft sentence, then the cited passages; with no answer, the closest."""
    for v in answer.sentences:
        print(printable(f"  verified [{v.n}]: {v.sentence}" if v.shown else f"  withheld ({v.verdict}): {v.sentence}"),
              file=out)
    shown = answer.closest if answer.refused else answer.citations
    if not shown:
        return
    print("\nClosest passages (they do not answer it):" if answer.refused else "\nSources:", file=out)
    for c in shown:
        context = f" — {c.context()}" if c.context() else ""
        print(printable(f"[{c.n}] {c.title}{context} ({c.article_id}, characters {c.start}-{c.end})"), file=out)
        if c.url:
            print(f"    {printable(c.url)}", file=out)
        print(f"    {printable(c.text)}", file=out)
        if c.quote != c.text:
            print(f"    {'nearest' if answer.refused else 'supporting'} sentence: {printable(c.quote)}", file=out)


def _filter(args, assistant):
    """The --since/--until/--source filter for this index (FilterError when it cannot be applied)."""
    from rag.filters import make_filter

    return make_filter(args.since, args.until, args.source, assistant.store.sources())


def _stream_to_terminal(assistant, question, history, top_k=None, where=None):
    from rag.chat import Answer

    streamed = []
    answer = None
    for piece in assistant.stream(question, history, top_k, where):
        if isinstance(piece, Answer):
            answer = piece
        else:
            if not streamed:
                print("(draft, being checked against the articles)", file=sys.stderr, flush=True)
            streamed.append(piece)
            print(printable(piece), end="", flush=True)
    print_checked(answer, bool(streamed))
    return answer


def print_checked(answer, streamed: bool) -> None:
    """After a streamed draft, the verified answer (a plain refusal was not streamed), then the
    verdicts and sources."""
    print()
    if streamed:  # the draft is provisional: the verified answer follows it
        print(f"\nVerified answer: {printable(answer.answer)}")
    else:
        print(printable(answer.answer))
    print_sources(answer)


def _ask_server(args) -> int:
    """`rag ask --server URL`: the question answered by a running `rag serve` (its models loaded
    and warm), through its API (app.json_answerer); printed as a local answer is."""
    from gradio_client import Client

    from rag.chat import Answer

    login = os.environ.get("RAG_AUTH", "")
    try:
        client = Client(args.server, verbose=False, auth=tuple(login.split(":", 1)) if ":" in login else None)
        job = client.submit(args.question, args.top_k or 3, args.since or "", args.until or "",
                            ",".join(args.source or []), api_name="/ask")
        streamed, answer = False, None
        for line in job:
            message = json.loads(line)
            if "error" in message:
                _err(f"error: {message['error']}")
                return 2
            if "answer" in message:
                answer = Answer.from_json(message["answer"])
            elif not args.json:
                if not streamed:
                    print("(draft, being checked against the articles)", file=sys.stderr, flush=True)
                streamed = True
                print(printable(message["piece"]), end="", flush=True)
    except Exception as exc:  # not there, not this app, a login refused: said, anything else raised
        if not isinstance(exc, (OSError, ValueError)) and not type(exc).__module__.startswith(("httpx", "gradio_client")):
            raise
        _err(f"error: no answer from the server {args.server}: {exc}")
        return 1
    if answer is None:
        _err(f"error: the server {args.server} ended without an answer")
        return 1
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
        return 0
    print_checked(answer, streamed)
    return 0


def cmd_ask(args) -> int:
    from rag.chat import QuestionError, clean_question
    from rag.filters import FilterError

    try:
        clean_question(args.question)  # before the models load
    except QuestionError as exc:
        _err(f"error: {exc}")
        return 2
    if args.server:
        return _ask_server(args)
    assistant = _assistant(Settings.from_args(args))
    try:
        where = _filter(args, assistant)
        if args.json:
            answer = assistant.ask(args.question, top_k=args.top_k, where=where)
            print(json.dumps(answer.to_json(), ensure_ascii=False))
        else:
            _stream_to_terminal(assistant, args.question, [], args.top_k, where)
    except (QuestionError, FilterError) as exc:
        _err(f"error: {exc}")
        return 2
    return 0


def cmd_chat(args) -> int:
    from rag.chat import QuestionError
    from rag.filters import FilterError

    assistant = _assistant(Settings.from_args(args))
    try:
        where = _filter(args, assistant)
    except FilterError as exc:
        _err(f"error: {exc}")
        return 2
    history: list[tuple[str, str]] = []
    _err("Ask about the articles, in Arabic or English. /new starts over, /quit or Ctrl-D leaves.")
    while True:
        try:
            question = input("\n> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if question.strip() in ("/quit", "/exit"):
            return 0
        if question.strip() == "/new":
            history = []
            continue
        try:
            answer = _stream_to_terminal(assistant, question, history, args.top_k, where)
        except QuestionError as exc:
            _err(str(exc))
            continue
        history.append((answer.question, answer.answer))


def cmd_eval(args) -> int:
    from rag.evaluate import load_questions, run
    from rag.filters import FilterError
    from rag.retriever import ranked_json, search_query

    settings = Settings.from_args(args)
    questions = load_questions(Path(args.questions))
    assistant = _assistant(settings)
    try:
        where = _filter(args, assistant)
    except FilterError as exc:
        _err(f"error: {exc}")
        return 2

    def answer(q):
        if args.retrieval_only:
            return {"retrieved": ranked_json(assistant.retriever.search(search_query(q.question, q.history), 10, where))}
        return assistant.ask(q.question, q.history, where=where).to_json()

    def show(result):
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
        else:
            mark = {True: "ok ", False: "BAD"}.get(result.get("correct"), "   ")
            print(f"{mark} {result['id']}: {result.get('answer', '')[:100]!r}", flush=True)

    summary = run(questions, answer, show, assistant.policies)
    print(json.dumps(summary, ensure_ascii=False) if args.json else json.dumps(summary, indent=1))
    return 0


def cmd_doctor(args) -> int:
    from rag import doctor
    from rag.llm import load

    settings = Settings.from_args(args)
    machine = doctor.cpu()
    _err("loading the LLM and measuring it (about a minute on two cores)")
    llm = load(settings)
    rates = doctor.measure(llm)
    if args.json:
        print(json.dumps({"cpu": machine, "llm": llm.name, **rates.to_json()}, ensure_ascii=False))
    else:
        print(printable(doctor.report(machine, llm.name, rates, bool(settings.evidence_tokens))))
    return 0


def cmd_serve(args) -> int:
    from app import serve

    return serve(Settings.from_args(args), args.host, args.port, args.auth_file, args.ssl_certfile, args.ssl_keyfile)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="rag", description="Offline Arabic/English question answering over news articles.")
    common = argparse.ArgumentParser(add_help=False)
    Settings.add_flags(common)
    filters = argparse.ArgumentParser(add_help=False)
    group = filters.add_argument_group("which articles answer (applied before ranking)")
    group.add_argument("--since", metavar="DATE", help="only articles dated on or after DATE (2015-09-29; "
                       "articles without a date are left out)")
    group.add_argument("--until", metavar="DATE", help="only articles dated on or before DATE")
    group.add_argument("--source", action="append", metavar="OUTLET",
                       help="only articles of this source (repeat it, or separate with commas)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("setup", parents=[common], help="fetch and verify the models, build the index")
    p.set_defaults(func=cmd_setup)
    p = sub.add_parser("ingest", parents=[common], help="index articles (folders or files)")
    p.add_argument("paths", nargs="*", help="folders or files (default: seeds/; env RAG_CORPUS; "
                   "with --rebuild, the files the index was built from)")
    p.add_argument("--rebuild", action="store_true", help="start a new index instead of updating")
    p.add_argument("--prune", action="store_true", help="also remove indexed articles not found under the "
                   "given paths (naming a folder does this; naming files only adds them)")
    p.set_defaults(func=cmd_ingest)
    p = sub.add_parser("ask", parents=[common, filters], help="answer one question with cited passages")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--server", metavar="URL", help="ask a running `rag serve` (such as http://127.0.0.1:7860) "
                   "instead of loading the models here (its login from RAG_AUTH)")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("chat", parents=[common, filters], help="multi-turn chat in the terminal")
    p.set_defaults(func=cmd_chat)
    p = sub.add_parser("eval", parents=[common, filters], help="run a question set and report metrics")
    p.add_argument("questions", help="JSONL question set")
    p.add_argument("--json", action="store_true", help="one JSON line per question, then the summary")
    p.add_argument("--retrieval-only", action="store_true", help="skip generation")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("doctor", parents=[common], help="measure this machine's LLM speed and the answer times to expect")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("serve", parents=[common], help="start the chat UI in the browser (same as python app.py)")
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1; another needs a login "
                   "(RAG_AUTH=USER:PASSWORD or --auth-file)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth-file", help="file whose first line is USER:PASSWORD (instead of RAG_AUTH)")
    p.add_argument("--ssl-certfile", help="TLS certificate (PEM) for https")
    p.add_argument("--ssl-keyfile", help="TLS private key (PEM)")
    p.set_defaults(func=cmd_serve)

    args = parser.parse_args(argv)
    from rag.embedder import EmbedderError
    from rag.llm import LLMError
    from rag.config import SettingsError
    from rag.index_folder import StoreError

    try:
        return args.func(args)
    except SettingsError as exc:
        _err(f"error: {exc}")
        return 2
    except (StoreError, EmbedderError, LLMError) as exc:  # a missing or unusable index or model
        _err(f"error: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
