"""The shirt colours on offer: one definition of each, its value and its label.

`SHIRT_COLOURS` is the default of the configuration's palette (`SHIRT_COLOURS` in app/config.py,
which an installation may replace); `COLOUR_LABELS` names a colour in the visitor's language.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# name: (value, label)
_PALETTE = {
    "white": ("#f7f7f5", _l("White")),
    "black": ("#1d1d1f", _l("Black")),
    "heather-grey": ("#a8a9ad", _l("Heather grey")),
    "navy": ("#1f2a44", _l("Navy")),
    "red": ("#b3202e", _l("Red")),
}
SHIRT_COLOURS = {name: value for name, (value, _label) in _PALETTE.items()}
COLOUR_LABELS = {name: label for name, (_value, label) in _PALETTE.items()}
# Heather fabric (a speckled mix of fibres) is drawn with its own knit: any colour whose name
# says so, or whose value is one of these.
HEATHER_COLOURS = {SHIRT_COLOURS["heather-grey"]}


def colour_label(name: str):
    """A colour's label; one an installation added to the palette is named after itself."""
    return COLOUR_LABELS.get(name, name.replace("-", " ").capitalize())
