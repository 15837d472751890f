"""ZIP archives of articles (a news archive's day, an export): each member in a format the other
readers take is read by that reader, as if it were a file of its own. Limits keep a ZIP bomb out:
members, and bytes once unpacked (ReadLimits.unpacked_mb, all members together). A member that
cannot be read is reported and the others are read."""

from __future__ import annotations

import zipfile

from rag.readers.base import MAX_FILE_BYTES, FileData, LoadResult, Problem, UnreadableFile

MAX_MEMBERS = 10_000


def read(file: FileData, max_chars: int) -> LoadResult:
    import io

    from rag.readers import READERS, read_file, suffix_of

    try:
        archive = zipfile.ZipFile(io.BytesIO(file.data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UnreadableFile(f"damaged ZIP file ({exc})")
    result = LoadResult()
    if len(members) > MAX_MEMBERS:
        raise UnreadableFile(f"{len(members):,} files in the ZIP; at most {MAX_MEMBERS:,} are read (split it)")
    # the sizes the ZIP declares: zipfile unpacks no member past its own (a lie fails its CRC)
    if sum(m.file_size for m in members) > file.limits.unpacked_bytes:
        raise UnreadableFile(f"unpacks to more than {file.limits.unpacked_mb} MB (RAG_UNPACKED_MB); split it")
    for member in members:
        name = member.filename
        suffix = suffix_of(name)
        if any(part.startswith(".") or part == "__MACOSX" for part in name.split("/")):
            continue  # hidden files and macOS resource forks are not articles
        if suffix not in READERS or suffix == ".zip":
            result.warnings.append(Problem(file.path, f"not read (unsupported file type {suffix or '(none)'})",
                                           f" ({name})"))
            continue
        if member.file_size > MAX_FILE_BYTES:
            result.problems.append(Problem(file.path, f"{member.file_size / 1e6:.0f} MB, over the "
                                           f"{MAX_FILE_BYTES // 2**20} MB limit per file", f" ({name})"))
            continue
        try:
            with archive.open(member) as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:  # damaged, encrypted
            result.problems.append(Problem(file.path, f"cannot be unpacked ({exc})", f" ({name})"))
            continue
        try:
            found = read_file(FileData(file.path, name, data, len(data), file.limits), max_chars)
        except (UnreadableFile, RecursionError, ValueError) as exc:
            result.problems.append(Problem(file.path, str(exc), f" ({name})"))
            continue
        except MemoryError:
            raise  # the reading process is over its limit: said of the whole file
        except Exception as exc:  # a parser's own failure (a DOCX's XMLSyntaxError): this member only
            result.problems.append(Problem(file.path, f"could not be read ({type(exc).__name__}: {str(exc)[:200]})",
                                           f" ({name})"))
            continue
        result.articles += found.articles
        result.problems += [_inside(p, name) for p in found.problems]
        result.warnings += [_inside(p, name) for p in found.warnings]
    if not result.articles and not result.problems:  # only hidden or unsupported files: say so
        raise UnreadableFile(f"no article in the ZIP ({len(members)} files, none of them an article file "
                             f"this reads: {', '.join(sorted(READERS))})")
    return result


def _inside(problem: Problem, member: str) -> Problem:
    """A member's problem, said of the ZIP with the member named where it is: zip (member)[3]."""
    return Problem(problem.path, problem.reason, f" ({member}){problem.where}")
