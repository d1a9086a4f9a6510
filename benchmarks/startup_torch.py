"""((x+5)^3+1)^2 and its derivative at x = -3 with PyTorch's autograd, printed as JSON."""

import json

import torch

x = torch.tensor(-3.0, dtype=torch.float64, requires_grad=True)
f = ((x + 5) ** 3 + 1) ** 2
f.backward()
print(json.dumps({"value": f.item(), "gradient": {"x": x.grad.item()}}))
