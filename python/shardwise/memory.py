"""Sharded memory configs the way TT-NN spells them (create_sharded_memory_config)."""

import enum
import math
from dataclasses import dataclass

from .types import (
    BufferType,
    CoreCoord,
    CoreRange,
    CoreRangeSet,
    MemoryConfig,
    ShardOrientation,
    ShardSpec,
    TensorMemoryLayout,
)


@dataclass(frozen=True)
class CoreGrid:
    """A y-by-x rectangle of cores starting at core (0, 0), as ttnn.CoreGrid(y=, x=)."""

    y: int
    x: int

    @property
    def num_cores(self):
        return self.x * self.y


class ShardStrategy(enum.Enum):
    HEIGHT = TensorMemoryLayout.HEIGHT_SHARDED
    WIDTH = TensorMemoryLayout.WIDTH_SHARDED
    BLOCK = TensorMemoryLayout.BLOCK_SHARDED


def num_cores_to_corerangeset(target_num_cores, grid_size, row_wise=False):
    """The first target_num_cores cores of a grid_size (x, y) grid as a CoreRangeSet, as
    ttnn.num_cores_to_corerangeset: row_wise fills rows (x first), else columns (y
    first); whole rows (columns) as one range, the partial last one as another."""
    gx, gy = (grid_size.x, grid_size.y) if hasattr(grid_size, "x") else tuple(grid_size)
    if not isinstance(target_num_cores, int) or isinstance(target_num_cores, bool) or not 1 <= target_num_cores <= gx * gy:
        raise ValueError(f"num_cores_to_corerangeset: target_num_cores {target_num_cores!r} must be between 1 and {gx * gy}")
    line = gx if row_wise else gy  # cores per row (column)
    full, rest = divmod(target_num_cores, line)
    ranges = []
    if full:
        end = CoreCoord(gx - 1, full - 1) if row_wise else CoreCoord(full - 1, gy - 1)
        ranges.append(CoreRange(CoreCoord(0, 0), end))
    if rest:
        start = CoreCoord(0, full) if row_wise else CoreCoord(full, 0)
        end = CoreCoord(rest - 1, full) if row_wise else CoreCoord(full, rest - 1)
        ranges.append(CoreRange(start, end))
    return CoreRangeSet(ranges)


def _round_up(value, multiple):
    return (value + multiple - 1) // multiple * multiple


def create_sharded_memory_config(
    shape,
    core_grid,
    strategy,
    orientation=ShardOrientation.ROW_MAJOR,
    use_height_and_width_as_shard_shape=False,
    tile_layout=False,
):
    """An L1 sharded MemoryConfig for a tensor of `shape`, as ttnn.create_sharded_memory_config.

    shape: the tensor's shape (every dimension but the last counts as rows), or the
        shard shape [rows, cols] when use_height_and_width_as_shard_shape is True.
    core_grid: a CoreGrid(y=, x=) or a CoreRangeSet.
    strategy: ShardStrategy.HEIGHT, WIDTH or BLOCK.
    orientation: ShardOrientation.ROW_MAJOR or COL_MAJOR.
    tile_layout: round the shard shape up to whole 32x32 tiles (for TILE tensors).
    """
    if not isinstance(strategy, ShardStrategy):
        raise ValueError(f"strategy {strategy!r} is not a ShardStrategy (HEIGHT, WIDTH or BLOCK)")
    if isinstance(core_grid, CoreGrid):
        if core_grid.x < 1 or core_grid.y < 1:
            raise ValueError(f"core_grid {core_grid} needs x >= 1 and y >= 1")
        grid = CoreRangeSet({CoreRange(CoreCoord(0, 0), CoreCoord(core_grid.x - 1, core_grid.y - 1))})
    elif isinstance(core_grid, CoreRangeSet):
        grid = core_grid
    else:
        raise ValueError(f"core_grid {core_grid!r} must be a CoreGrid or a CoreRangeSet")
    shape = list(shape)
    if use_height_and_width_as_shard_shape:
        if len(shape) != 2:
            raise ValueError(f"shard shape {shape} must be [rows, cols]")
        shard = shape
    else:
        if not shape or any(d < 1 for d in shape):
            raise ValueError(f"shape {shape} must have dimensions >= 1")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        box = grid.bounding_box()
        box_x, box_y = box.end.x - box.start.x + 1, box.end.y - box.start.y + 1
        if strategy is ShardStrategy.HEIGHT:
            shard = [math.ceil(rows / grid.num_cores()), cols]
        elif strategy is ShardStrategy.WIDTH:
            shard = [rows, math.ceil(cols / grid.num_cores())]
        else:
            row_splits, col_splits = (box_y, box_x) if orientation == ShardOrientation.ROW_MAJOR else (box_x, box_y)
            shard = [math.ceil(rows / row_splits), math.ceil(cols / col_splits)]
    if tile_layout:
        shard = [_round_up(shard[0], 32), _round_up(shard[1], 32)]
    return MemoryConfig(strategy.value, BufferType.L1, ShardSpec(grid, shard, orientation))
