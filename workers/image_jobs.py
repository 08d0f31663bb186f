"""Image jobs: thumbnails and perceptual hashes for a visit's attachments."""

from __future__ import annotations

from app.visits.processing import process_images
from workers.runtime import services


def process_visit_images(visit_id: str) -> int:
    return process_images(services().store, visit_id)
