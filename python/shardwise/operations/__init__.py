"""TT-NN's `ttnn.operations` names that tests import (activations' golden functions)."""

from . import activations  # noqa: F401
