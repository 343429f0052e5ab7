"""TT-NN's Conv2dSliceConfig: how a conv too large for L1 is cut.

TT-NN slices a layer's output into DRAM height or width bands (Conv2dDRAMSliceHeight /
Conv2dDRAMSliceWidth, num_slices of them) or keeps it whole in L1 (Conv2dL1Full). The
model cuts a layer into slices of output sticks (rows of the [N*H*W, C] output), each a
halo and a conv program writing its part of a DRAM-interleaved output: a DRAM slice
config with num_slices > 0 asks for at least that many stick slices (height and width
bands both map onto them: same count, the cut runs along the flattened output); the
plan reports them. num_slices = 0, L1Full or no slice config: the model takes as many
slices as L1 needs (one when the layer fits).
"""

import enum
from dataclasses import dataclass


class Conv2dSliceType(enum.Enum):
    DRAMSliceHeight = "dram_height"
    DRAMSliceWidth = "dram_width"
    L1Full = "l1_full"


Conv2dDRAMSliceHeight = Conv2dSliceType.DRAMSliceHeight
Conv2dDRAMSliceWidth = Conv2dSliceType.DRAMSliceWidth
Conv2dL1Full = Conv2dSliceType.L1Full


@dataclass(frozen=True)
class Conv2dSliceConfig:
    """ttnn.Conv2dSliceConfig(slice_type=..., num_slices=...)."""

    slice_type: Conv2dSliceType = Conv2dSliceType.L1Full
    num_slices: int = 0

    def __post_init__(self):
        if not isinstance(self.slice_type, Conv2dSliceType):
            name = getattr(self.slice_type, "name", None)
            if name not in Conv2dSliceType.__members__:
                raise ValueError(f"Conv2dSliceConfig slice_type {self.slice_type!r} must be Conv2dDRAMSliceHeight, "
                                 "Conv2dDRAMSliceWidth or Conv2dL1Full")
            object.__setattr__(self, "slice_type", Conv2dSliceType[name])
        if isinstance(self.num_slices, bool) or not isinstance(self.num_slices, int) or not 0 <= self.num_slices < 2**32:
            raise ValueError(f"Conv2dSliceConfig num_slices {self.num_slices!r} must be an int >= 0 (0: as many as L1 needs)")


Conv2dL1FullSliceConfig = Conv2dSliceConfig(slice_type=Conv2dSliceType.L1Full)


def requested_dram_slices(slice_config):
    """The stick-slice count a slice config asks for, or None (the model decides)."""
    if slice_config is None:
        return None
    if not isinstance(slice_config, Conv2dSliceConfig):
        raise ValueError(f"slice_config {slice_config!r} must be a Conv2dSliceConfig or None")
    if slice_config.slice_type is Conv2dSliceType.L1Full or slice_config.num_slices == 0:
        return None
    return slice_config.num_slices
