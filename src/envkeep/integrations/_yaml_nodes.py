"""YAML written node by node, for the exporters' YAML and Kubernetes manifests: a string
scalar (plain only where every YAML 1.1 loader reads it back as that string, else
double-quoted), a block mapping, and the text with no line folded. ``yaml`` is imported inside
the functions: the exporters are imported when the CLI starts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from yaml.nodes import MappingNode, Node, ScalarNode

_YAML_STR = "tag:yaml.org,2002:str"
_YAML_MAP = "tag:yaml.org,2002:map"
_YAML_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# Words that YAML 1.1 loaders (PyYAML, Go's yaml.v2 behind kubectl) read as booleans or null.
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def yaml_scalar(text: str, *, quoted: bool = False) -> ScalarNode:
    import yaml

    plain = (
        not quoted and _YAML_PLAIN.fullmatch(text) is not None and text.lower() not in _YAML_WORDS
    )
    return yaml.ScalarNode(_YAML_STR, text, style=None if plain else '"')


def yaml_mapping(pairs: Iterable[tuple[str, Node]]) -> MappingNode:
    import yaml

    items = [(yaml_scalar(key), node) for key, node in pairs]
    return yaml.MappingNode(_YAML_MAP, items, flow_style=False)


def dump_yaml(node: Node) -> str:
    import yaml

    # No width limit: a long value stays on one line instead of being folded.
    return yaml.serialize(node, Dumper=yaml.SafeDumper, allow_unicode=True, width=float("inf"))
