"""Session-wide servers of the multi-host tests, each started once and stopped at the end."""

from __future__ import annotations

import pytest

from tests.hosts import servers


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 API (SeaweedFS) with one private bucket."""
    with servers.seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def s3_storage(settings, s3_server):
    """This test process stores files in the S3 bucket too (the exports it runs eagerly)."""
    from config.settings import s3_storage as storage_settings

    settings.STORAGE_S3_BUCKET = s3_server.bucket
    settings.STORAGES = {**settings.STORAGES, "default": storage_settings(s3_server.env())}
    return s3_server
