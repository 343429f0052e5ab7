"""Moving values between numpy / torch, host tensors and device tensors.

A shardwise Tensor holds its values exactly as the device stores them (bfloat16,
float32, or bfloat8_b / bfloat4_b tiles with shared exponents). Values leave it as
float32 (numpy) or as torch's closest dtype (bfloat16 stays bfloat16).
"""

import numpy as np

from ._shardwise import Device, Tensor
from .types import DRAM_MEMORY_CONFIG, MemoryConfig, as_dtype, as_layout, bfloat16, float32, Layout

try:  # torch is optional: numpy works without it
    import torch
except ImportError:  # pragma: no cover - exercised only on machines without torch
    torch = None


def _require_torch(what):
    if torch is None:
        raise ImportError(f"{what} needs PyTorch (Debian: apt-get install python3-torch); from_numpy/to_numpy do not")


def _check_device(device, what):
    if device is not None and not isinstance(device, Device):
        raise ValueError(f"{what}: device must be a shardwise Device from open_device(), got {type(device).__name__}")


def _check_memory_config(memory_config, what):
    if memory_config is not None and not isinstance(memory_config, MemoryConfig):
        raise ValueError(f"{what}: memory_config must be a MemoryConfig, got {type(memory_config).__name__}")


def _place(tensor, device, memory_config):
    if device is None:
        if memory_config is not None:
            raise ValueError("memory_config was given without a device: pass device= to place the tensor")
        return tensor
    return tensor.to_device(device, memory_config or DRAM_MEMORY_CONFIG)


def from_numpy(array, dtype=None, layout=None, device=None, memory_config=None, pad_value=0.0):
    """A shardwise Tensor from a numpy array.

    dtype: bfloat16, float32, bfloat8_b or bfloat4_b (default float32); values are
        rounded to it (bfloat16: round to nearest even; block-float: shared exponents).
    layout: ROW_MAJOR_LAYOUT (default) or TILE_LAYOUT (block-float dtypes need TILE).
    device / memory_config: place the tensor on a device (default: DRAM interleaved);
        without a device it stays on the host.
    pad_value: value of the tile padding in TILE layout.
    """
    _check_device(device, "from_numpy")
    _check_memory_config(memory_config, "from_numpy")
    array = np.asarray(array)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer) or array.dtype == bool):
        raise ValueError(f"from_numpy: arrays of {array.dtype} are not supported; use a float or integer array")
    dtype = float32 if dtype is None else as_dtype(dtype)
    layout = Layout.ROW_MAJOR if layout is None else as_layout(layout)
    host = Tensor.from_array(np.ascontiguousarray(array, dtype=np.float32), dtype, layout, float(pad_value))
    return _place(host, device, memory_config)


def to_numpy(tensor):
    """The tensor's logical values as a float32 numpy array (read back from its device if needed)."""
    if not isinstance(tensor, Tensor):
        raise ValueError(f"to_numpy expects a shardwise Tensor, got {type(tensor).__name__}")
    return tensor.to_array()



def _torch_default_dtype(torch_dtype):
    if torch_dtype == torch.bfloat16:
        return bfloat16
    if torch_dtype.is_floating_point:
        return float32
    raise ValueError(
        f"from_torch: a {torch_dtype} tensor needs an explicit dtype= (bfloat16, float32, bfloat8_b, bfloat4_b); "
        "its values are converted through float32"
    )


def _single_device_mapper(value, name):
    # A device model is a mesh of one device: no mapper has anything to split or join.
    if value is not None:
        raise ValueError(f"{name} {value!r}: a shardwise device is a mesh of one device; pass {name}=None")


def from_torch(tensor, dtype=None, layout=None, device=None, memory_config=None, pad_value=0.0, mesh_mapper=None,
               tile=None, cq_id=None):
    """A shardwise Tensor from a torch tensor, as ttnn.from_torch.

    dtype: default bfloat16 for torch.bfloat16 tensors, float32 for other float tensors.
    layout, device, memory_config, pad_value: as in from_numpy (bfloat8_b and
        bfloat4_b need layout=TILE_LAYOUT, as in TT-NN).
    mesh_mapper: None (one device); tile, cq_id: accepted (32x32 tiles, no queues).
    """
    _require_torch("from_torch")
    _single_device_mapper(mesh_mapper, "mesh_mapper")
    del tile, cq_id
    if not isinstance(tensor, torch.Tensor):
        raise ValueError(f"from_torch expects a torch.Tensor, got {type(tensor).__name__}")
    if tensor.is_complex():
        raise ValueError(f"from_torch: {tensor.dtype} tensors are not supported (converting would drop the imaginary part); "
                         "pass tensor.real, tensor.imag or tensor.abs()")
    dtype = _torch_default_dtype(tensor.dtype) if dtype is None else as_dtype(dtype)
    values = tensor.detach().to("cpu", torch.float32).contiguous().numpy()
    return from_numpy(values, dtype=dtype, layout=layout, device=device, memory_config=memory_config, pad_value=pad_value)


def to_torch(tensor, dtype=None, mesh_composer=None, device=None, cq_id=None, torch_rank=None):
    """A torch tensor of the shardwise tensor's logical values, as ttnn.to_torch.

    bfloat16 tensors come back as torch.bfloat16 (exactly); every other dtype as
    torch.float32 (exact too: block-float values are float32 numbers). `dtype`
    (a torch dtype) overrides that. mesh_composer: None (one device); device, cq_id:
    accepted; torch_rank: drop leading dimensions of size 1 down to this rank.
    """
    _require_torch("to_torch")
    _single_device_mapper(mesh_composer, "mesh_composer")
    del device, cq_id
    values = torch.from_numpy(to_numpy(tensor))
    if dtype is None:
        dtype = torch.bfloat16 if tensor.dtype == bfloat16 else torch.float32
    values = values.to(dtype)
    if torch_rank is not None:
        while values.dim() > torch_rank and values.shape[0] == 1:
            values = values.squeeze(0)
        if values.dim() != torch_rank:
            raise ValueError(f"to_torch: a tensor of shape {tuple(tensor.shape)} cannot become rank {torch_rank} "
                             "by dropping leading dimensions of size 1")
    return values


def to_device(tensor, device, memory_config=None):
    """`tensor` on `device`, placed as memory_config says (default DRAM interleaved): a
    copy, except that a tensor already on that device (in that memory config, when one
    is given) is returned as it is, as TT-NN does (prepared weights stay prepared)."""
    _check_device(device, "to_device")
    _check_memory_config(memory_config, "to_device")
    if device is None:
        raise ValueError("to_device: device is None")
    if tensor.is_on_device() and tensor.device() is device and (memory_config is None or tensor.memory_config() == memory_config):
        return tensor
    return tensor.to_device(device, memory_config or DRAM_MEMORY_CONFIG)


def from_device(tensor):
    """A host copy of a device tensor (a host tensor is returned as is)."""
    return tensor.cpu() if tensor.is_on_device() else tensor


def to_layout(tensor, layout):
    """The tensor in ROW_MAJOR_LAYOUT or TILE_LAYOUT (it stays where it is)."""
    return tensor.to_layout(as_layout(layout))


def typecast(tensor, dtype):
    """The tensor's values in another dtype (block-float dtypes make it TILE)."""
    return tensor.to_dtype(as_dtype(dtype))


def reshape(tensor, shape):
    """Same values, another shape of the same volume (ROW_MAJOR tensors). One dimension
    may be -1: it is inferred from the others, as in torch.reshape."""
    if isinstance(shape, int):
        shape = (shape,)
    dims = list(shape)
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        raise ValueError(f"reshape: shape {tuple(shape)!r} must hold ints")
    if any(d < -1 for d in dims) or dims.count(-1) > 1:
        raise ValueError(f"reshape: shape {tuple(dims)} may hold one -1 (inferred) and otherwise sizes >= 0")
    if -1 in dims:
        volume = 1
        for d in tensor.shape:
            volume *= d
        known = 1
        for d in dims:
            if d != -1:
                known *= d
        if known == 0 or volume % known != 0:
            raise ValueError(f"reshape: cannot infer the -1 of {tuple(dims)} for a tensor of {volume} values")
        dims[dims.index(-1)] = volume // known
    return tensor.reshape(dims)


def deallocate(tensor, force=True):
    """Frees a device tensor's buffer (force: accepted, as ttnn.deallocate(t, force);
    a model tensor has one owner, so it is always freed)."""
    del force
    if not isinstance(tensor, Tensor):
        raise ValueError(f"deallocate expects a shardwise Tensor, got {type(tensor).__name__}")
    tensor.deallocate()


def get_memory_config(tensor):
    """Where a device tensor lives (its MemoryConfig), as ttnn.get_memory_config; None
    for a host tensor."""
    if not isinstance(tensor, Tensor):
        raise ValueError(f"get_memory_config expects a shardwise Tensor, got {type(tensor).__name__}")
    return tensor.memory_config() if tensor.is_on_device() else None


def to_memory_config(tensor, memory_config, dtype=None):
    """The device tensor placed as memory_config says (interleaved <-> sharded, DRAM <->
    L1), optionally in another dtype, as ttnn.to_memory_config. The source stays."""
    _check_memory_config(memory_config, "to_memory_config")
    if memory_config is None:
        raise ValueError("to_memory_config: memory_config is None")
    if not isinstance(tensor, Tensor) or not tensor.is_on_device():
        raise ValueError("to_memory_config expects a shardwise Tensor on a device (use to_device for host tensors)")
    host = tensor.cpu()
    if dtype is not None:
        host = host.to_dtype(as_dtype(dtype))
    return host.to_device(tensor.device(), memory_config)


def permute(tensor, dims):
    """The tensor with its dimensions reordered (dims: a permutation of 0..rank-1), as
    ttnn.permute: same dtype and layout, on the same device and memory config. The
    device model has no permute kernel: the values pass through the host."""
    if not isinstance(tensor, Tensor):
        raise ValueError(f"permute expects a shardwise Tensor, got {type(tensor).__name__}")
    rank = len(tensor.shape)
    dims = tuple(dims)
    if sorted(d % rank if isinstance(d, int) and not isinstance(d, bool) and -rank <= d < rank else -1 for d in dims) != list(range(rank)):
        raise ValueError(f"permute: dims {dims} must be a permutation of 0..{rank - 1}")
    values = np.transpose(tensor.to_array(), [d % rank for d in dims])
    host = Tensor.from_array(np.ascontiguousarray(values, dtype=np.float32), tensor.dtype, tensor.layout, 0.0)
    return host.to_device(tensor.device(), tensor.memory_config()) if tensor.is_on_device() else host


def is_tensor_storage_on_device(tensor):
    """Whether the tensor lives on a device (ttnn.is_tensor_storage_on_device)."""
    if not isinstance(tensor, Tensor):
        raise ValueError(f"is_tensor_storage_on_device expects a shardwise Tensor, got {type(tensor).__name__}")
    return tensor.is_on_device()


# TT-NN's accessor spellings next to the properties.
Tensor.get_layout = lambda self: self.layout
Tensor.get_dtype = lambda self: self.dtype
