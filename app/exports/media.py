"""The photos and signatures of an export's visits as one ZIP, streamed, with a manifest (清单.csv).

Files are stored as they are (JPEG and PNG do not compress further), under 村代码/户编号/走访ID/附件位置.ext,
fetched from the object store a few ahead of the one being sent: the store answers each small request
with some latency, so eight in flight send several times faster and hold at most eight files in memory.
The manifest row of each file (visit, household, slot, hash, size, upload and EXIF time and place) is
spooled to a temporary file and added last. Memory stays flat, but for the ZIP's central directory (some
100 bytes per file).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from zipstream import ZIP_DEFLATED, ZIP_STORED, ZipStream

from app.clock import CHINA_TZ
from app.spreadsheets.writing import csv_cell
from app.storage import ObjectStore
from app.visits.models import Attachment

MANIFEST = "清单.csv"
MANIFEST_HEADERS = [
    "文件", "走访ID", "户编号", "村代码", "附件位置", "类别", "SHA-256", "字节数", "文件类型", "上传人",
    "上传时间", "拍摄时间", "拍摄纬度", "拍摄经度",
]  # fmt: skip
KINDS = {"photo": "照片", "signature": "签字", "letter": "四书"}
BATCH = 200
AHEAD = 8  # files fetched ahead of the one being sent


class Prefetch:
    """Objects fetched in order, at most AHEAD beyond the one the archive is sending."""

    def __init__(self, store: ObjectStore, pool: ThreadPoolExecutor):
        self.store, self.pool = store, pool
        self.waiting: dict[int, str] = {}  # keys added but not fetched yet, by position
        self.started: dict[int, Future] = {}
        self.added = self.submitted = 0

    def body(self, key: str) -> Iterator[bytes]:
        """The archive entry's data: fetched once the archive reaches it (or AHEAD before)."""
        index, self.added = self.added, self.added + 1
        self.waiting[index] = key
        return self._take(index)

    def _take(self, index: int) -> Iterator[bytes]:
        while self.submitted < min(self.added, index + AHEAD + 1):
            key = self.waiting.pop(self.submitted)
            self.started[self.submitted] = self.pool.submit(self.store.get, key)
            self.submitted += 1
        yield self.started.pop(index).result()


def arcname(visit: dict, attachment: Attachment) -> str:
    village = (visit.get("area_path") or [""])[-1]
    ext = "png" if attachment.content_type == "image/png" else "jpg"
    return f"{village}/{visit.get('household_number')}/{visit['_id']}/{attachment.slot}.{ext}"


def _manifest_row(name: str, visit: dict, a: Attachment) -> list:
    exif = a.exif or {}
    gps = exif.get("gps") or {}
    uploaded = a.uploaded_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S") if a.uploaded_at else ""
    return [
        name, str(visit["_id"]), visit.get("household_number"), (visit.get("area_path") or [""])[-1], a.slot,
        KINDS.get(a.kind, a.kind), a.sha256, a.size, a.content_type, a.uploaded_by, uploaded,
        exif.get("taken_at") or "", gps.get("lat", ""), gps.get("lon", ""),
    ]  # fmt: skip


def _batched(visits: Iterable[dict]) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for visit in visits:
        batch.append(visit)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def media_zip(store: ObjectStore, visits: Iterable[dict], progress=None) -> Iterator[bytes]:
    """The ZIP's bytes, produced as they are sent: files batch by batch, the manifest last."""
    archive = ZipStream(compress_type=ZIP_STORED)
    with (
        tempfile.TemporaryFile(mode="w+", encoding="utf-8-sig", newline="") as spool,
        ThreadPoolExecutor(max_workers=AHEAD, thread_name_prefix="zip-fetch") as pool,
    ):
        fetch = Prefetch(store, pool)
        manifest = csv.writer(spool, lineterminator="\r\n")
        manifest.writerow(MANIFEST_HEADERS)
        done = 0
        for batch in _batched(visits):
            by_id = {str(v["_id"]): v for v in batch}
            found = Attachment.objects(visit_id__in=list(by_id)).order_by("visit_id", "slot").no_cache()
            for a in found:
                visit = by_id[a.visit_id]
                name = arcname(visit, a)
                archive.add(fetch.body(a.key), name, size=a.size)
                manifest.writerow([csv_cell(v) for v in _manifest_row(name, visit, a)])  # formula-safe
            yield from archive.all_files()
            done += len(batch)
            if progress:
                progress(done)
        spool.seek(0)
        archive.add(_text_chunks(spool), MANIFEST, compress_type=ZIP_DEFLATED)
        yield from archive.finalize()


def _text_chunks(spool) -> Iterator[bytes]:
    first = True
    while text := spool.read(64 * 1024):
        yield text.encode("utf-8-sig" if first else "utf-8")
        first = False
