"""The suite's fixtures live in tests/fixtures/ (see its __init__), registered here for every test.

Markers:
- `committed`: the test runs on committed data, emptied afterwards, instead of in a transaction
  rolled back at its end; for threads and processes on connections of their own.
- `clock("2026-11-20 12:00Z")`: where the frozen `clock` starts (default: 15 November 2026, noon UTC).
- `real_images`: the designs' renditions are encoded for real (the pipeline's tests, and pages whose
  pictures are looked at), not from 8-pixel copies.
"""
pytest_plugins = [
    "tests.fixtures.compiled",
    "tests.fixtures.database",
    "tests.fixtures.mail",
    "tests.fixtures.cache",
    "tests.fixtures.web",
    "tests.fixtures.clock",
    "tests.fixtures.people",
    "tests.fixtures.designs",
    "tests.fixtures.rounds",
    "tests.fixtures.shop",
    "tests.fixtures.payouts",
    "tests.fixtures.browser",
]


def pytest_configure(config):
    config.addinivalue_line("markers", "committed: real commits (threads, processes); tables emptied after")
    config.addinivalue_line("markers", "clock(when): where the frozen clock starts")
    config.addinivalue_line("markers", "real_images: renditions encoded for real, not from 8-pixel copies")


# The files that take a minute or more start first, so that the suite does not end with one worker
# running a long browser test while the other core idles (`--dist loadfile` hands out files in
# collection order). Measured with `--durations`; the order of everything else is unchanged.
LONG_FILES = (
    "tests/shop/test_event_properties.py",
    "tests/browser/test_whole_month.py",
    "tests/browser/test_accessibility.py",
    "tests/browser/test_members_rights_browser.py",
    "tests/multiserver/test_two_servers.py",
    "tests/browser/test_layout_browser.py",
    "tests/browser/test_shop_browser.py",
)


def pytest_collection_modifyitems(items):
    def rank(item):
        path = item.nodeid.split("::", 1)[0]
        return LONG_FILES.index(path) if path in LONG_FILES else len(LONG_FILES)

    items.sort(key=rank)  # stable: within a file, and among the rest, collection order
