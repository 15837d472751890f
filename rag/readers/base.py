"""What every reader shares: the article it makes, the problems it reports, the limits it keeps,
and the text helpers (decoding bytes, finding a headline, cutting a long text)."""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import asdict, dataclass, field

# Longer articles are indexed up to here, with a warning: a news article is a few thousand
# characters, and embedding runs at a few passages a second on two cores (setting
# max_article_chars, env RAG_MAX_ARTICLE_CHARS).
MAX_ARTICLE_CHARS = 200_000
# A headline is a line; a longer first line (a file with no line breaks) is cut here, and the
# whole of it stays in the body. Every chunk carries its headline into the LLM's prompt.
MAX_TITLE_CHARS = 300
# Records read from one .json/.jsonl file; more are reported, not read (an upload is small,
# an archive is a folder of files).
MAX_RECORDS_PER_FILE = 10_000


@dataclass(frozen=True)
class Metadata:
    """What a news reader wants to know of an article besides its text, where the file says it."""
    date: str = ""  # ISO date (YYYY-MM-DD) of publication
    source: str = ""  # the outlet: a newspaper, a site, an agency
    url: str = ""
    author: str = ""
    pages: tuple[int, ...] = ()  # a PDF's pages: where each starts in Article.text (page n at pages[n-1])

    def page_at(self, offset: int) -> int | None:
        """The page (1-based) of a character of the text; None when the article has no pages."""
        if not self.pages:
            return None
        return max(1, bisect.bisect_right(self.pages, offset))

    def to_json(self) -> dict:
        """Its fields that are set (the manifest records only those)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if v}

    @classmethod
    def from_json(cls, data: dict) -> "Metadata":
        return cls(**{k: tuple(v) if k == "pages" else str(v) for k, v in data.items()
                      if k in cls.__dataclass_fields__ and v})


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str  # the body; chunk spans index into it
    source_path: str = ""
    meta: Metadata = Metadata()
    aliases: tuple[str, ...] = ()  # ids of other files with the same headline and text

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.title}\n{self.text}".encode()).hexdigest()


@dataclass
class Problem:
    path: str
    reason: str
    where: str = ""  # inside the file: a line (":3"), a record ("[3]"), a ZIP member (" (day.json)[3]")

    def __str__(self) -> str:
        return f"{self.path}{self.where}: {self.reason}"


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # skipped: nothing of it was ingested
    warnings: list[Problem] = field(default_factory=list)  # ingested, but worth knowing


class UnreadableFile(ValueError):
    pass


def decode(data: bytes) -> tuple[str, str | None]:
    """Decode article bytes; return (text, warning or None). Raises UnreadableFile."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise UnreadableFile("invalid UTF-16 text")
        if not text.strip():
            raise UnreadableFile("empty file")
        return text, None
    if not data.strip():
        raise UnreadableFile("empty file")
    if b"\x00" in data[:8192]:
        raise UnreadableFile("binary file, not text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    # A few bad bytes in an otherwise UTF-8 file: keep the text, replace those bytes.
    replaced = data.decode("utf-8", errors="replace")
    bad = replaced.count("\ufffd")
    if bad <= max(3, len(data) // 1000):
        return replaced, f"{bad} invalid UTF-8 byte sequence(s) replaced"
    for encoding, name in (("cp1256", None), ("iso-8859-6", "ISO-8859-6")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if sum(ch.isprintable() or ch.isspace() for ch in text) < 0.95 * len(text):
            raise UnreadableFile("binary file, not text")
        if _reads_as_arabic(text):
            return text, (f"decoded as {name}" if name else None)
    raise UnreadableFile("unknown encoding (not UTF-8, UTF-16 or Arabic Windows-1256/ISO-8859-6); "
                         "save the file as UTF-8")


# Latin letters that Windows-1256 puts among its Arabic ones: text in another 8-bit encoding
# (ISO-8859-6, Latin-1) decoded as Windows-1256 is full of them.
_CP1256_LATIN = set("àâçèéêëîïôùûüœ")


def _reads_as_arabic(text: str) -> bool:
    """Whether 8-bit text decoded as an Arabic code page reads as Arabic: mostly Arabic letters
    and hardly any of the accented Latin letters a wrong code page shows between them."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    arabic = sum("\u0621" <= ch <= "\u064a" for ch in letters)
    latin_accented = sum(ch.lower() in _CP1256_LATIN for ch in letters)
    return arabic >= 0.5 * len(letters) and latin_accented <= 0.01 * len(letters)


def split_headline(text: str) -> tuple[str, str]:
    """First non-empty line is the headline; the rest is the body. A first line longer than
    MAX_TITLE_CHARS is no headline: its start is, and the whole line stays in the body."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, line in enumerate(lines):
        if line.strip():
            body = "\n".join(lines[i + 1:]).strip()
            title = line.strip()
            if len(title) > MAX_TITLE_CHARS:
                return short_title(title), "\n".join(lines[i:]).strip()
            return title, body
    return "", ""


def short_title(title: str) -> str:
    """A headline cut to MAX_TITLE_CHARS at a word end, with an ellipsis when cut."""
    title = " ".join(title.split())
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title.rfind(" ", MAX_TITLE_CHARS // 2, MAX_TITLE_CHARS)
    return title[:cut if cut > 0 else MAX_TITLE_CHARS - 1].rstrip() + "…"


def truncated(text: str, max_chars: int) -> str:
    """`text` cut to at most `max_chars`, at a line or sentence end when one is near."""
    if len(text) <= max_chars:
        return text
    cut = max(text.rfind(end, max_chars * 9 // 10, max_chars) for end in ("\n", ". ", "。", "؟ ", "! "))
    return text[:cut + 1 if cut > 0 else max_chars].rstrip()


# Bytes read of one file in the other formats (a day of a news archive as one JSON array is
# 10-15 MB; a PDF of a print edition tens of MB); a larger file is reported, not read.
MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """What reading one file may cost (rag.readers.isolated keeps the first three; the readers the
    others). A news article reads in well under a second; these stop a hostile file (a DOCX that
    took 36.7 s, a ZIP that unpacked to 200 million characters) from holding the ingest."""
    seconds: float = 30.0  # CPU time for one file; the wall time allowed is twice this
    memory_mb: int = 1024  # the reading process's address space
    pdf_pages: int = 500  # pages of one PDF read (a book, not an article); the rest are not
    unpacked_mb: int = 100  # bytes a ZIP or DOCX may unpack to, all its members together

    @property
    def unpacked_bytes(self) -> int:
        return self.unpacked_mb * 1024 * 1024


@dataclass(frozen=True)
class FileData:
    """One file as a reader gets it."""
    path: str  # where it is, for messages and Article.source_path (a ZIP member: the ZIP)
    name: str  # its name: the suffix chooses the reader, the stem makes article ids
    data: bytes  # its bytes, or only their start when the file is longer than can be indexed
    size: int  # the whole file's size in bytes
    limits: ReadLimits = ReadLimits()

    @property
    def stem(self) -> str:
        base = self.name.rsplit("/", 1)[-1]
        return base.rsplit(".", 1)[0] if "." in base else base
