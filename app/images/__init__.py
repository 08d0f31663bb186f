"""Photo and signature handling: the upload gate, EXIF, thumbnails, perceptual hashes."""
