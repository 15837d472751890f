"""The records the answer path hands from stage to stage, in one place: a chunk of an article (the
index), a passage given to the LLM (retrieval), a sentence of a passage as evidence (the claim
check), and a citation shown with an answer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Chunk:
    article_id: str
    position: int  # 0, 1, 2 … within the article
    start: int  # character span in Article.text
    end: int
    text: str
    title: str

    @property
    def chunk_id(self) -> str:
        return f"{self.article_id}#{self.position}"


@dataclass
class Passage:
    """Consecutive sentences of one article given to the LLM: a chunk, or overlapping chunks merged."""
    article_id: str
    title: str
    start: int  # character span in the article text
    end: int
    text: str
    score: float
    chunk_ids: list[str] = field(default_factory=list)
    prompt_text: str = ""  # what the LLM reads of it when not the whole text (rag.condense)


@dataclass
class Evidence:
    """One sentence of a passage, with its span in the article text."""
    n: int  # passage number, 1-based
    text: str
    start: int
    end: int


@dataclass
class Citation:
    n: int
    article_id: str
    title: str
    text: str  # the passage
    start: int  # its span in the article text
    end: int
    quote: str  # the passage sentence closest to the answer sentence citing it
    quote_start: int  # its span in the article text
    quote_end: int
    # the article's metadata, where it has them: outlet, ISO date, link, author, and for a PDF
    # the page the quote is on
    source: str = ""
    date: str = ""
    url: str = ""
    author: str = ""
    page: int | None = None

    def context(self) -> str:
        """Where the passage comes from, as a citation shows it after the headline:
        "Okaz, 29 September 2015 · page 3" (only what the article has)."""
        from rag.dates import shown_date

        where = ", ".join(filter(None, (self.source, shown_date(self.date) if self.date else "")))
        return " · ".join(filter(None, (where, f"page {self.page}" if self.page else "")))
