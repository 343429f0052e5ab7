"""TT-NN's way of naming a fused activation: UnaryWithParam(UnaryOpType.X, param).

conv2d takes Conv2dConfig(activation=UnaryWithParam(UnaryOpType.RELU)) as TT-NN does
(or the plain names "relu", "relu6", ...). The op types a depthwise conv can fuse are
those in FUSABLE; the other names exist so that code naming them imports, and conv2d
rejects them with a message.
"""

import enum
from dataclasses import dataclass, field


class UnaryOpType(enum.Enum):
    RELU = "relu"
    RELU6 = "relu6"
    SILU = "silu"
    GELU = "gelu"
    SIGMOID = "sigmoid"
    TANH = "tanh"
    HARDSWISH = "hardswish"
    LEAKY_RELU = "leaky_relu"
    SQRT = "sqrt"
    EXP = "exp"
    IDENTITY = "identity"


# What the conv epilogue computes, and whether the op takes a parameter (leaky relu: its slope).
FUSABLE = {
    UnaryOpType.RELU: False,
    UnaryOpType.RELU6: False,
    UnaryOpType.SILU: False,
    UnaryOpType.GELU: False,
    UnaryOpType.SIGMOID: False,
    UnaryOpType.TANH: False,
    UnaryOpType.HARDSWISH: False,
    UnaryOpType.LEAKY_RELU: True,
    UnaryOpType.IDENTITY: False,
}


@dataclass
class UnaryWithParam:
    """An activation and its parameters, as ttnn.UnaryWithParam(op_type, param)."""

    op_type: UnaryOpType
    param: object = None
    params: list = field(default_factory=list)

    def __post_init__(self):
        if not isinstance(self.op_type, UnaryOpType):
            name = getattr(self.op_type, "name", None)  # another module's enum with the same names
            if name not in UnaryOpType.__members__:
                raise ValueError(f"UnaryWithParam op_type {self.op_type!r} must be a UnaryOpType "
                                 f"({', '.join(UnaryOpType.__members__)})")
            self.op_type = UnaryOpType[name]
        if self.param is not None and not self.params:
            self.params = [self.param]
        if self.params and self.param is None:
            self.param = self.params[0]
        for value in self.params:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"UnaryWithParam({self.op_type.name}) parameter {value!r} must be a number")
