"""Link previews: the Open Graph and Twitter card tags of design and edition pages."""
import re


def meta(page: str) -> dict[str, str]:
    return dict(re.findall(r'<meta (?:property|name)="((?:og|twitter):[a-z:]+)" content="([^"]*)"', page))


def test_design_page_has_share_tags_with_the_mockup(client, make_design):
    design = make_design(title="Night owl", description="An owl under the moon.")
    tags = meta(client.get(f"/designs/{design.id}").get_data(as_text=True))
    assert tags["og:title"] == "Night owl" and tags["og:description"] == "An owl under the moon."
    assert tags["og:type"] == "article" and tags["og:url"] == f"http://tirage.test/designs/{design.id}"
    assert tags["og:image"].startswith("http://tirage.test/media/") and design.mockup_fallback_key in tags["og:image"]
    assert tags["twitter:card"] == "summary_large_image" and tags["twitter:image"] == tags["og:image"]
    assert tags["og:image:alt"] == design.alt_text


def test_pages_without_a_design_have_no_share_tags(client):
    assert meta(client.get("/").get_data(as_text=True)) == {}
