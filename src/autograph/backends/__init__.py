"""The math backends, side by side: each op of the op table computed over one kind of number.

A backend is a class with one function per op name (the language's ops and the
internal ones). The op table's derivative declarations are run over any of them:

- ``scalar.ScalarMath``: Python floats (IEEE float64), the fast passes.
- ``numpy.ArrayMath``: NumPy arrays, a pass over many samples (``--data``).
- ``mpmath.MpMath``: mpmath numbers at 50 digits, the numeric referee.
- ``formula.FormulaMath``: formulas, the text ``explain`` prints.
- ``graph.GraphMath``: graph nodes, the gradient written out as a graph.

Only ``scalar`` is imported on the path of ``eval`` and ``grad``.
"""
