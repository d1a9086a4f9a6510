"""``graph -o FILE``: the file's extension names the format; a contradicting --format is refused."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import pytest

PROGRAM = ("h = x + 5; f = h^2", "--at", "x=-3", "--grad")


def test_a_png_file_name_writes_a_png_picture(run, tmp_path) -> None:
    target = tmp_path / "x.png"
    out = run("graph", *PROGRAM, "-o", str(target))
    assert out.code == 0, out.stderr
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 100 and height > 100


def test_an_svg_file_name_writes_svg(run, tmp_path) -> None:
    target = tmp_path / "x.SVG"
    assert run("graph", *PROGRAM, "-o", str(target)).code == 0
    assert ET.fromstring(target.read_text(encoding="utf-8")).tag.endswith("svg")


@pytest.mark.parametrize(
    ("name", "format"),
    [("x.dot", "dot"), ("x.gv", "dot"), ("x.mmd", "mermaid"), ("x.txt", "text"), ("x", "text")],
)
def test_a_text_format_is_told_by_the_extension(run, tmp_path, name, format) -> None:
    target = tmp_path / name
    assert run("graph", *PROGRAM, "-o", str(target)).code == 0
    expected = run("graph", *PROGRAM, "--format", format).stdout
    assert target.read_text(encoding="utf-8") == expected


def test_format_given_for_a_txt_file_is_used(run, tmp_path) -> None:
    target = tmp_path / "x.txt"
    assert run("graph", *PROGRAM, "--format", "dot", "-o", str(target)).code == 0
    assert target.read_text(encoding="utf-8").startswith("digraph")


def test_a_format_contradicting_the_extension_is_refused(run, tmp_path) -> None:
    target = tmp_path / "x.png"
    out = run("graph", *PROGRAM, "--format", "svg", "-o", str(target))
    assert out.code == 2 and not target.exists()
    assert out.stderr == (
        f"error: --format svg contradicts the file name {str(target)!r}, which says png: "
        "drop --format, or name the file *.svg\n"
    )


def test_an_extension_naming_no_format_asks_for_one(run, tmp_path) -> None:
    target = tmp_path / "x.jpg"
    out = run("graph", *PROGRAM, "-o", str(target))
    assert out.code == 2 and not target.exists()
    assert out.stderr == (
        f"error: cannot tell the format from the extension '.jpg' of {str(target)!r}: give "
        "--format (text, dot, mermaid, svg, png or html), or name the file with one of "
        ".txt .dot .gv .mmd .mermaid .svg .png .html .htm\n"
    )
