"""Golden (PyTorch) functions for the activations a conv fuses, as
ttnn.operations.activations.get_golden_function_for_activation."""

from ..unary import UnaryOpType, UnaryWithParam


def get_golden_function_for_activation(activation):
    """The torch function computing `activation` (a UnaryWithParam, a UnaryOpType, an
    activation name, or None); None when there is nothing to apply."""
    import torch
    import torch.nn.functional as F

    if activation is None or activation == "":
        return None
    if isinstance(activation, str):
        name = activation.upper()
        if name not in UnaryOpType.__members__:
            raise ValueError(f"activation {activation!r} is not one of {', '.join(m.lower() for m in UnaryOpType.__members__)}")
        activation = UnaryWithParam(UnaryOpType[name])
    elif isinstance(activation, UnaryOpType):
        activation = UnaryWithParam(activation)
    elif not isinstance(activation, UnaryWithParam):
        raise ValueError(f"activation {activation!r} must be a UnaryWithParam, a UnaryOpType, a name or None")
    op = activation.op_type
    if op is UnaryOpType.LEAKY_RELU:
        slope = 0.01 if activation.param is None else float(activation.param)
        return lambda x: F.leaky_relu(x, slope)
    functions = {
        UnaryOpType.RELU: torch.relu,
        UnaryOpType.RELU6: F.relu6,
        UnaryOpType.SILU: F.silu,
        UnaryOpType.GELU: F.gelu,
        UnaryOpType.SIGMOID: torch.sigmoid,
        UnaryOpType.TANH: torch.tanh,
        UnaryOpType.HARDSWISH: F.hardswish,
        UnaryOpType.SQRT: torch.sqrt,
        UnaryOpType.EXP: torch.exp,
        UnaryOpType.IDENTITY: lambda x: x,
    }
    return functions[op]
