"""TT-NN's names for dtypes, layouts and memory configs."""

from ._shardwise import (
    BufferType,
    CoreCoord,
    CoreRange,
    CoreRangeSet,
    DataType,
    Layout,
    MemoryConfig,
    ShardOrientation,
    ShardSpec,
    TensorMemoryLayout,
)

bfloat16 = DataType.BFLOAT16
float32 = DataType.FLOAT32
bfloat8_b = DataType.BFLOAT8_B
bfloat4_b = DataType.BFLOAT4_B
uint16 = DataType.UINT16
uint32 = DataType.UINT32
int32 = DataType.INT32

ROW_MAJOR_LAYOUT = Layout.ROW_MAJOR
TILE_LAYOUT = Layout.TILE

DRAM_MEMORY_CONFIG = MemoryConfig(TensorMemoryLayout.INTERLEAVED, BufferType.DRAM)
L1_MEMORY_CONFIG = MemoryConfig(TensorMemoryLayout.INTERLEAVED, BufferType.L1)

_DTYPE_NAMES = {
    "bfloat16": bfloat16,
    "float32": float32,
    "bfloat8_b": bfloat8_b,
    "bfloat4_b": bfloat4_b,
    "uint16": uint16,
    "uint32": uint32,
    "int32": int32,
}


def as_dtype(value, what="dtype"):
    """A DataType from a DataType or its name ("bfloat16", "bfloat8_b", ...)."""
    if isinstance(value, DataType):
        return value
    if isinstance(value, str) and value.lower() in _DTYPE_NAMES:
        return _DTYPE_NAMES[value.lower()]
    raise ValueError(f"{what} {value!r} is not a shardwise dtype: use one of {', '.join(_DTYPE_NAMES)}")


def as_layout(value, what="layout"):
    """A Layout from a Layout or "row_major" / "tile"."""
    if isinstance(value, Layout):
        return value
    if isinstance(value, str) and value.lower() in ("row_major", "tile"):
        return Layout.ROW_MAJOR if value.lower() == "row_major" else Layout.TILE
    raise ValueError(f"{what} {value!r} is not a layout: use shardwise.ROW_MAJOR_LAYOUT or shardwise.TILE_LAYOUT")
