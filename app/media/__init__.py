"""Photos and signatures for browsers and phones: short-lived signed links, streamed by the app.

The object store's own address (127.0.0.1:8333 here, minio:9000 in compose) is not reachable from
a browser, so files are not presigned for S3: a link is signed by the app for one attachment and one
variant, expires after PRESIGN_TTL_SECONDS, and `/media/...` streams the file from S3 once the
signature and expiry check out. Links are issued only by code that has already checked the caller may
see the visit, so the link itself carries the permission, as a presigned S3 URL would.
"""
