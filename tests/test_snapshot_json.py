"""The hand-written snapshot JSON is exactly the document the pydantic response model makes."""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from envkeep.api import schemas
from envkeep.api.snapshot_json import SnapshotJson, snapshot_json
from envkeep.app.views import (
    EnvironmentSnapshot,
    EnvironmentView,
    PrincipalView,
    ProjectView,
    SecretView,
    ServiceView,
    ShareView,
    VersionView,
)

texts = st.text(max_size=12)
blobs = st.binary(max_size=70)
principals = st.builds(PrincipalView, texts, texts, texts, blobs, blobs)
versions = st.builds(
    VersionView,
    texts,
    texts,
    st.integers(0, 2**40),
    st.integers(0, 99),
    blobs,
    st.none() | blobs,
    texts,
    blobs,
    texts,
)
snapshots = st.builds(
    EnvironmentSnapshot,
    st.builds(ProjectView, texts, texts, texts),
    st.builds(
        EnvironmentView,
        texts,
        texts,
        texts,
        st.integers(0, 9),
        st.integers(0, 2**40),
        st.booleans(),
        st.none() | texts,
    ),
    st.lists(
        st.builds(
            ServiceView,
            texts,
            texts,
            texts,
            st.none() | texts,
            st.none() | texts,
            st.none() | texts,
        ),
        max_size=3,
    ).map(tuple),
    st.lists(
        st.builds(ShareView, texts, st.integers(0, 9), texts, principals, blobs), max_size=3
    ).map(tuple),
    st.lists(st.builds(SecretView, texts, texts, blobs, versions), max_size=5).map(tuple),
    st.lists(principals, max_size=3).map(tuple),
    st.none() | st.sampled_from(["read", "write", "admin"]),
)


@given(snapshots)
def test_snapshot_json_is_the_response_models_document(found: EnvironmentSnapshot) -> None:
    expected = json.loads(schemas.Snapshot.model_validate(found).model_dump_json())
    assert json.loads(snapshot_json(found)) == expected
    assert schemas.Snapshot.model_validate_json(
        snapshot_json(found)
    ) == schemas.Snapshot.model_validate(found)


@given(snapshots, snapshots)
def test_a_cached_rendering_is_always_the_documents_own(
    first: EnvironmentSnapshot, second: EnvironmentSnapshot
) -> None:
    render = SnapshotJson(entries=4)
    for found in (first, second, first, second, replace(first, authors=second.authors)):
        assert render(found) == snapshot_json(found)


@given(snapshots)
def test_a_reader_granted_another_role_is_told_its_new_role(found: EnvironmentSnapshot) -> None:
    """The same shares, services and secrets, another role: not the bytes kept for the old."""
    render = SnapshotJson(entries=4)
    render(replace(found, role="read"))
    assert json.loads(render(replace(found, role="write")))["role"] == "write"


@given(snapshots)
def test_the_same_reader_of_an_unchanged_environment_gets_the_same_bytes(
    found: EnvironmentSnapshot,
) -> None:
    render = SnapshotJson(entries=4)
    assert render(found) is render(found)  # kept whole: no copy of every byte per read
