"""Design fixtures: small generated artwork and designs created through the real services."""
from __future__ import annotations

import io
import random

import pytest
from PIL import Image, ImageDraw

from app.designs import services as designs
from app.designs.models import DesignStatus
from app.extensions import db
from tests.factories import UserFactory

MIN_SIDE = 300  # tests use small files; the real rule (3000 px) is tested in test_artwork


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PRINT_MIN_LONG_SIDE": MIN_SIDE}


def artwork_bytes(seed: int = 1, size=(400, 500), fmt="PNG", mode="RGBA") -> bytes:
    """A distinct little artwork per seed: coloured shapes on transparency (or white)."""
    rng = random.Random(seed)
    image = Image.new(mode, size, (0, 0, 0, 0) if mode == "RGBA" else (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = rng.randrange(size[0] - 60), rng.randrange(size[1] - 60)
        x1, y1 = x0 + rng.randrange(40, 200), y0 + rng.randrange(40, 200)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < .5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def design_fields(**overrides) -> designs.DesignFields:
    values = {"title": "Fox at night", "description": "A fox under the moon.", "tags": "animals, night",
              "alt_text": "A red fox sitting under a full moon", "shirt_colour": "navy"}
    values.update(overrides)
    return designs.DesignFields(**values)


@pytest.fixture
def make_design(app):
    """make_design(designer=None, status="approved", seed=n, **fields) through the real services."""
    counter = iter(range(1000, 100000))

    def make(designer=None, status: str = "approved", seed: int | None = None, **fields):
        designer = designer or UserFactory()
        design = designs.create_design(designer, design_fields(**fields), artwork_bytes(seed or next(counter)),
                                       submit=status != "draft")
        db.session.commit()  # the upload is rendered after the commit (eagerly in tests)
        db.session.refresh(design)
        if status == "approved":
            designs.approve_design(design, UserFactory(operator=True))
        elif status == "rejected":
            designs.reject_design(design, UserFactory(operator=True), designs.RejectionReason.OFF_BRIEF)
        elif status == "withdrawn":
            designs.withdraw_design(design)
        db.session.commit()
        assert design.status == DesignStatus(status)
        return design

    return make
