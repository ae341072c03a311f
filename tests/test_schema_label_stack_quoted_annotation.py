"""What a "comment of annotations only" is, for a "required" label's stack
(`core.required_labels`), is what the schema reader reads as annotations
(`core._annotation_tokens`): a quoted value with a space (`@default="two words"`) is one
annotation. The label's own test split it into `@default="two` and a word `words"`, so that
line ended the stack and the variable below it was not noted."""

from __future__ import annotations

from envkeep.core.schema import parse_env_example


def test_a_quoted_annotation_with_a_space_does_not_end_a_required_label_stack() -> None:
    text = '# Required\nDATABASE_URL=\n# @default="two words"\nSECRET_KEY=\n'

    schema = parse_env_example(text)

    assert [(n.name, n.line) for n in schema.notes] == [("DATABASE_URL", 2), ("SECRET_KEY", 4)]
    secret_key = schema.field("SECRET_KEY")
    assert secret_key is not None
    assert secret_key.default == "two words"  # read as one annotation by the schema too


def test_a_comment_of_words_after_a_quoted_annotation_still_ends_the_stack() -> None:
    text = '# Required\nDATABASE_URL=\n# @default="two words" the signing key\nSECRET_KEY=\n'

    assert [(n.name, n.line) for n in parse_env_example(text).notes] == [("DATABASE_URL", 2)]
