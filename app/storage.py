"""A small adapter around boto3 for the object store (SeaweedFS, MinIO or AWS S3)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from app.errors import ChecksumMismatch, StorageUnavailable


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    etag: str


@dataclass(frozen=True)
class ObjectStream:
    size: int
    chunks: Iterator[bytes]


class ObjectStore:
    """put with checksum, get, presign, delete: all the product needs of S3, with domain errors."""

    def __init__(
        self,
        endpoint_url: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        presign_ttl: int = 300,
    ):
        self.bucket = bucket
        self.presign_ttl = presign_ttl
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region,
            config=BotoConfig(
                s3={"addressing_style": "path"},
                signature_version="s3v4",
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=3,
                read_timeout=30,
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    @classmethod
    def from_config(cls, config) -> ObjectStore:
        return cls(
            config.S3_ENDPOINT_URL,
            config.S3_BUCKET,
            config.S3_ACCESS_KEY,
            config.S3_SECRET_KEY,
            config.S3_REGION,
            config.PRESIGN_TTL_SECONDS,
        )

    def ensure_bucket(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise
            self.client.create_bucket(Bucket=self.bucket)

    def put(
        self,
        key: str,
        body: bytes | BinaryIO,
        content_type: str,
        *,
        sha256_hex: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> StoredObject:
        """Store `body`; when `sha256_hex` is given the server verifies it (BadDigest otherwise)."""
        extra = {}
        if sha256_hex:
            extra["ChecksumSHA256"] = base64.b64encode(bytes.fromhex(sha256_hex)).decode()
        try:
            resp = self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                Metadata=metadata or {},
                **extra,
            )
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("BadDigest", "XAmzContentSHA256Mismatch"):
                raise ChecksumMismatch() from err
            raise StorageUnavailable(detail=str(err)) from err
        except BotoCoreError as err:
            raise StorageUnavailable(detail=str(err)) from err
        size = body.__len__() if isinstance(body, bytes | bytearray) else body.tell()
        return StoredObject(key, size, resp.get("ETag", "").strip('"'))

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError) as err:
            raise StorageUnavailable(detail=str(err)) from err

    def stream(self, key: str, chunk_size: int = 64 * 1024) -> ObjectStream:
        """The object's size and its bytes in chunks, without holding the whole file in memory."""
        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as err:
            raise StorageUnavailable(detail=str(err)) from err
        body = resp["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(chunk_size)
            finally:
                body.close()

        return ObjectStream(resp["ContentLength"], chunks())

    def upload(self, key: str, fp: BinaryIO, content_type: str) -> None:
        """Store a file of any size (a multipart upload past 8 MiB), e.g. a finished export."""
        try:
            self.client.upload_fileobj(fp, self.bucket, key, ExtraArgs={"ContentType": content_type})
        except (ClientError, BotoCoreError) as err:
            raise StorageUnavailable(detail=str(err)) from err

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageUnavailable(detail=str(err)) from err
        except BotoCoreError as err:
            raise StorageUnavailable(detail=str(err)) from err

    def presign(self, key: str, ttl: int | None = None) -> str:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=ttl or self.presign_ttl
        )

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as err:
            raise StorageUnavailable(detail=str(err)) from err

    def ping(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)
