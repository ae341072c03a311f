"""A write several services' schemas refuse points at each of their schemas, not the first's
alone (a shared PORT=99999 is refused by api, web and worker)."""

from __future__ import annotations

from envkeep.client.write_checks import _refusal
from envkeep.core.validate import Finding


def test_each_refusing_service_is_named_in_the_hint() -> None:
    found = [
        Finding(service, "PORT", "range", "must be at most 65535")
        for service in ("api", "web", "worker")
    ]

    refused = _refusal(found)

    assert refused.message.startswith("refused by the services' schemas: api.PORT (range:")
    assert refused.hint is not None
    assert refused.hint.endswith(
        "the schemas: envkeep schema show api; envkeep schema show web; envkeep schema show worker"
    )


def test_one_refusing_service_is_named_alone() -> None:
    refused = _refusal([Finding("api", "PORT", "range", "must be at most 65535")])

    assert refused.hint is not None
    assert refused.hint.endswith("; the schema: envkeep schema show api")
