"""The create-token marker of vCenter descriptions and the "already exists — import it" error."""

from __future__ import annotations

from terraform_provider_tkg import ownership
from terraform_provider_tkg.framework.diagnostics import Diagnostics
from terraform_provider_tkg.framework.resource import Context

TOKEN = "0123456789abcdef0123456789abcdef"


def test_marker_round_trips_with_and_without_a_description() -> None:
    for description in (None, "", "Workers of team A", "two\nlines"):
        marked = ownership.marked_description(description, TOKEN)
        assert ownership.description_token(marked) == TOKEN
        assert ownership.unmarked_description(marked) == (description or "")


def test_text_without_a_whole_marker_carries_no_token() -> None:
    assert ownership.description_token(None) is None
    assert ownership.description_token("plain") is None
    # Only a marker on the last line counts; a token quoted in the middle of the text does not.
    assert ownership.description_token(f"[tkg-create-token:{TOKEN}]\nlater text") is None
    assert ownership.description_token("[tkg-create-token:short]") is None
    assert ownership.unmarked_description("plain") == "plain"
    assert ownership.unmarked_description(None) is None


def test_already_exists_names_the_import_id() -> None:
    ctx = Context(diagnostics=Diagnostics(), type_name="tkg_cluster")
    ownership.already_exists(ctx, object_id="team-a/prod", what="TKG cluster", import_id="team-a/prod")
    (diagnostic,) = ctx.diagnostics.items
    assert diagnostic.summary == "creating tkg_cluster (team-a/prod): already exists"
    assert "terraform import tkg_cluster.<address> team-a/prod" in diagnostic.detail
    assert 'id = "team-a/prod"' in diagnostic.detail
