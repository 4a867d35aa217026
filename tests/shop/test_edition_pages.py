"""The edition's public page as a link preview, and the console's edition form in people's words."""
from tests.designs.test_sharing import meta


def test_edition_page_has_share_tags_with_the_mockup(client, make_edition):
    edition = make_edition()
    tags = meta(client.get(f"/shop/editions/{edition.id}").get_data(as_text=True))
    assert tags["og:title"].startswith(edition.design.title) and tags["og:type"] == "product"
    assert tags["og:url"] == f"http://tirage.test/shop/editions/{edition.id}"
    assert tags["og:image"].startswith("http://tirage.test/media/")
    assert edition.design.mockup_fallback_key in tags["og:image"]
    assert tags["twitter:card"] == "summary_large_image" and tags["og:description"]


def test_console_colour_select_shows_labels(browser, auth, make_edition):
    edition = make_edition(open_=False)  # the colour is chosen while the edition is a draft
    auth.operator()
    page = browser.get(f"/console/editions/{edition.id}").get_data(as_text=True)
    assert '<option value="heather-grey">Heather grey</option>' in page
    assert ">heather-grey<" not in page


def test_print_sheet_counts_shirts_in_singular_and_plural(browser, auth, make_edition):
    auth.operator()
    one = make_edition(quantities={"M": 1})
    page = browser.get(f"/console/editions/{one.id}/print-sheet").get_data(as_text=True)
    assert "1 shirt to print" in page
    assert "1 shirts" not in page
