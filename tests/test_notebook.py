"""Jupyter: a notebook of the two worked examples, executed by a real kernel (nbclient)."""

from __future__ import annotations

import re
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

CELLS = [
    "import autograph\n%load_ext autograph",
    # 1: the one-parameter example, its per-node table
    "%%autograph grad --at x=-3\nh = x + 5\ng = h^3 + 1\nf = g^2",
    # 2: linear regression, bound to res
    "%%autograph grad --at w=3,b=1 --at x=-3 --at y=5 --wrt w,b -o res\n"
    "c = w*x\nf = c + b\nd = f - y\nJ = 0.5*d^2",
    # 3
    "res.gradient",
    # 4: the picture, with values and gradients
    "%%autograph graph --at x=-3 --grad\nh = x + 5; g = h^3 + 1; f = g^2",
    # 5: the explanation
    "%%autograph explain --at w=3,b=1,x=-3,y=5 --wrt w,b\n"
    "c = w*x; f = c + b; d = f - y; J = 0.5*d^2",
    # 6: the API's objects display themselves too
    'autograph.parse("h = x + 5; g = h^3 + 1; f = g^2")',
    # 7: the check, with SymPy's time budget, in a thread as some kernels run code
    "import threading\nbox = {}\n"
    "def work():\n"
    "    from autograph.magic import run\n"
    '    box["check"] = run(["grad", "--check", "--at", "x=-3"], "h = x + 5; f = (h^3 + 1)^2")\n'
    "t = threading.Thread(target=work); t.start(); t.join()\n"
    'box["check"]',
    # 8: an error prints its message, no traceback
    "%%autograph grad --at x=-3\nh = x +",
    # 9: plain repr stays one short line
    "print(repr(res))",
]


@pytest.fixture(scope="module")
def outputs() -> list[list[dict[str, Any]]]:
    """Every cell's outputs, from one kernel run of the notebook."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3")
    client.execute()
    return [cell.outputs for cell in notebook.cells]


def data_of(cell: list[dict[str, Any]], mime: str) -> str:
    found = [out["data"][mime] for out in cell if mime in out.get("data", {})]
    assert found, f"no {mime} output in {cell}"
    return str(found[-1])


def cells_of(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in rows]


def test_a_grad_cell_shows_an_html_table_of_values_and_adjoints(outputs: Any) -> None:
    rows = cells_of(data_of(outputs[1], "text/html"))
    assert rows[0] == ["#", "node", "operation", "value", "local derivatives", "adjoint"]
    by_name = {row[1].split()[0]: row for row in rows[1:]}
    # Forward: h = 2, g = 9, f = 81; reverse: 216, 216, 18, 1 (the teaching note's numbers).
    assert [by_name[n][3] for n in ("x", "h", "g", "f")] == ["-3", "2", "9", "81"]
    assert [by_name[n][5] for n in ("x", "h", "g", "f")] == ["216", "216", "18", "1"]
    assert "∂f/∂x = 216" in data_of(outputs[1], "text/html")


def test_the_magic_binds_its_result_to_the_name_after_o(outputs: Any) -> None:
    assert data_of(outputs[3], "text/plain") == "{'w': 39.0, 'b': -13.0}"
    html = data_of(outputs[2], "text/html")
    assert "∂J/∂w = 39" in html and "∂J/∂b = -13" in html


def test_a_graph_cell_shows_a_picture_svg_or_mermaid(outputs: Any) -> None:
    cell = outputs[4]
    mimes = {mime for out in cell for mime in out.get("data", {})}
    if "image/svg+xml" in mimes:
        svg = data_of(cell, "image/svg+xml")
        assert "<svg" in svg and ">216<" in svg and ">81<" in svg
    else:
        markdown = data_of(cell, "text/markdown")
        assert markdown.startswith("```mermaid\nflowchart LR") and "216" in markdown
    assert "image/svg+xml" in {m for out in outputs[6] for m in out.get("data", {})} or (
        "```mermaid" in data_of(outputs[6], "text/markdown")
    )


def test_an_explain_cell_shows_markdown_with_latex(outputs: Any) -> None:
    markdown = data_of(outputs[5], "text/markdown")
    assert r"$$\frac{\partial J}{\partial w} =" in markdown
    assert "**Reverse pass**" in markdown and "= 39$$" in markdown


def test_a_check_run_in_a_thread_shows_its_tables(outputs: Any) -> None:
    html = data_of(outputs[7], "text/html")
    assert "reverse mode and SymPy agree" in html and "SymPy: the symbolic derivative" in html


def test_an_error_in_a_cell_prints_its_message_without_a_traceback(outputs: Any) -> None:
    cell = outputs[8]
    assert all(out["output_type"] == "stream" for out in cell), cell
    text = "".join(out["text"] for out in cell)
    assert text.startswith("error: ") and "Traceback" not in text


def test_plain_repr_is_one_summary_line(outputs: Any) -> None:
    text = "".join(out["text"] for out in outputs[9])
    assert text == "<Backward: 11 nodes, J = 84.5, gradient {w: 39, b: -13}>\n"
