"""One writer of tests/test_writers.py: ingests the files named on the command line into an index,
with the fake embedder, starting at a given wall-clock time so two processes begin together."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fake_embedder import FakeEmbedder  # noqa: E402

from rag.config import Settings  # noqa: E402
from rag.ingest import ingest  # noqa: E402

index, start_at, *files = sys.argv[1:]
time.sleep(max(0.0, float(start_at) - time.time()))
report = ingest([Path(f) for f in files], Settings.load(index_dir=index), FakeEmbedder(seconds_per_batch=0.02))
print(len(report.added))
