"""A top-level setting envkeep.toml lacks is added after the last one, not glued to the first
table: `project move-to` and `init` add ``server =`` and ``workspace =`` to a file with
services."""

from __future__ import annotations

from envkeep.core.projectfile_edits import with_top_setting

FILE = """# the shop
project = "shop"
environments = [
    "dev",
    "prod",
]

# services, one table each
[services.api]
path = "services/api"
"""


def test_a_missing_top_setting_goes_after_the_last_setting_before_the_blank_and_comment() -> None:
    text = with_top_setting(FILE, "server", "https://keep.example.com")

    assert text == FILE.replace(
        "]\n\n# services", ']\nserver = "https://keep.example.com"\n\n# services'
    )


def test_a_file_of_comments_and_tables_alone_gets_the_setting_before_its_first_table() -> None:
    text = with_top_setting("# nothing yet\n[services.api]\n", "project", "shop")

    assert text == '# nothing yet\nproject = "shop"\n[services.api]\n'


def test_a_present_top_setting_is_replaced_where_it_is() -> None:
    text = with_top_setting(FILE, "project", "shop2")

    assert text == FILE.replace('project = "shop"', 'project = "shop2"')
