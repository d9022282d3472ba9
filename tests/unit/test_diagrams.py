"""Diagrams drawn as code render as SVG with alt text, and the book's offline rule
catches pages and style sheets that would fetch from the network."""

from __future__ import annotations

import pytest

from lab.results import diagrams
from lab.walkthrough.book import check_offline

DRAWINGS = [diagrams.architecture, lambda: diagrams.architecture(store="DynamoDB"),
            diagrams.visibility_timeout, diagrams.execution_environment_lifecycle,
            diagrams.firecracker_host]


@pytest.mark.parametrize("draw", DRAWINGS)
def test_a_diagram_is_an_svg_with_its_alt_text_as_title(draw, tmp_path):
    drawing = draw()
    svg = drawing._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert f"<title>{drawing.alt}</title>" in svg.replace("&#x27;", "'")
    assert len(drawing.alt) > 40
    assert drawing.save(tmp_path / "d.svg").read_text() == svg


def test_the_firecracker_picture_says_it_is_a_sketch_from_public_material():
    svg = diagrams.firecracker_host().svg()
    assert "A sketch from AWS's public material" in svg  # matplotlib keeps text as comments


def test_check_offline_rejects_network_scripts_styles_and_fonts(tmp_path):
    (tmp_path / "ok.html").write_text('<a href="https://docs.aws.amazon.com/">docs</a>'
                                      '<script src="_static/x.js"></script>')
    check_offline(tmp_path)
    (tmp_path / "bad.html").write_text(
        '<script src="https://cdn.jsdelivr.net/npm/x.js"></script>')
    (tmp_path / "bad.css").write_text("@import url('https://fonts.googleapis.com/css');")
    with pytest.raises(RuntimeError, match="bad.html.*\n.*bad.css|bad.css.*\n.*bad.html"):
        check_offline(tmp_path)
