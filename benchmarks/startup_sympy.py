"""((x+5)^3+1)^2 and its derivative at x = -3 with SymPy, printed as JSON."""

import json

import sympy

x = sympy.Symbol("x")
f = ((x + 5) ** 3 + 1) ** 2
value = float(f.subs(x, -3))
slope = float(sympy.diff(f, x).subs(x, -3))
print(json.dumps({"value": value, "gradient": {"x": slope}}))
