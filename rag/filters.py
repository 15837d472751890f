"""The user's choice of which articles answer: a date range and sources (outlets), made into the
ChunkFilter the retriever applies before ranking. The question's own words are never turned into
a filter ("on Tuesday" stays a search term): a filter is set only by the user."""

from __future__ import annotations

from rag.dates import iso_date, shown_date
from rag.vector_index.base import ChunkFilter

MAX_LISTED_SOURCES = 20


class FilterError(ValueError):
    """A filter that cannot be applied: the message says why, for the user."""


def make_filter(since: str | None, until: str | None, sources, known_sources: dict[str, int]) -> ChunkFilter | None:
    """The filter for a date range (any date form rag.dates reads; both ends included) and
    sources (names as the index has them, matched without regard to case); None when nothing is
    chosen. FilterError for a date it cannot read, an empty range or a source the index lacks."""
    since_iso, until_iso = _date(since, "--since"), _date(until, "--until")
    if since_iso and until_iso and since_iso > until_iso:
        raise FilterError(f"the range is empty: {shown_date(since_iso)} comes after {shown_date(until_iso)}")
    wanted = [s.strip() for item in ([sources] if isinstance(sources, str) else sources or [])
              for s in str(item).split(",") if s.strip()]
    chosen = None
    if wanted:
        by_key = {name.casefold(): name for name in known_sources}
        unknown = [s for s in wanted if s.casefold() not in by_key]
        if unknown:
            listed = ", ".join(list(known_sources)[:MAX_LISTED_SOURCES]) or "none: its articles name no source"
            more = " …" if len(known_sources) > MAX_LISTED_SOURCES else ""
            raise FilterError(f"no articles from {', '.join(map(repr, unknown))} in the index; its sources: {listed}{more}")
        chosen = frozenset(by_key[s.casefold()] for s in wanted)
    if not (since_iso or until_iso or chosen):
        return None
    return ChunkFilter(since=since_iso, until=until_iso, sources=chosen)


def describe(where: ChunkFilter | None) -> dict:
    """The filter as `ask --json` reports it."""
    if where is None:
        return {}
    out = {"since": where.since, "until": where.until,
           "sources": sorted(where.sources) if where.sources is not None else None}
    return {k: v for k, v in out.items() if v}


def _date(value: str | None, flag: str) -> str | None:
    if value is None or not str(value).strip():
        return None
    iso = iso_date(str(value).strip())
    if iso is None:
        raise FilterError(f"{flag} {value!r} is not a date; write it as 2015-09-29")
    return iso
