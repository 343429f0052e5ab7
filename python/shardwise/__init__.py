"""shardwise: depthwise conv2d the way TT-Metal / TT-NN runs it, on a device model.

The API follows TT-NN's, so a TT-NN depthwise test ports by changing the import:

    import torch, shardwise as ttnn
    device = ttnn.open_device(arch="wormhole_b0")
    x = ttnn.from_torch(torch.randn(1, 8, 8, 64), ttnn.bfloat16)          # NHWC
    w = ttnn.from_torch(torch.randn(64, 1, 3, 3), ttnn.float32)
    y, [h, w_out] = ttnn.conv2d(input_tensor=x, weight_tensor=w, device=device,
                                in_channels=64, out_channels=64, batch_size=1,
                                input_height=8, input_width=8, kernel_size=(3, 3),
                                padding=(1, 1), groups=64, return_output_dim=True)
    out = ttnn.to_torch(y)                                                # [1, 1, N*h*w, C]
    ttnn.close_device(device)

numpy works without torch (from_numpy / to_numpy). C++ errors arrive as ValueError
(bad arguments) or RuntimeError subclasses (DeviceError, OutOfMemoryError,
DeadlockError) carrying the C++ message.
"""

from ._shardwise import (
    Activation,
    DeadlockError,
    Device,
    DeviceError,
    OutOfMemoryError,
    Tensor,
    tile_size,
)
from . import operations
from .conv2d import (
    BlackholeComputeKernelConfig,
    Conv2dConfig,
    MathFidelity,
    NotDepthwiseError,
    ThrottleLevel,
    WormholeComputeKernelConfig,
    compare_numerics,
    conv2d,
    init_device_compute_kernel_config,
    prepare_conv_bias,
    prepare_conv_weights,
    unprepare_conv_bias,
    unprepare_conv_weights,
)
from .device import MeshDevice, close_device, get_device_ids, manage_device, open_device, synchronize_device
from .memory import CoreGrid, ShardStrategy, create_sharded_memory_config, num_cores_to_corerangeset
from .metrics import assert_equal, assert_with_pcc, check_with_pcc_without_tensor_printout, comp_pcc, compare, pcc
from .slicing import (
    Conv2dDRAMSliceHeight,
    Conv2dDRAMSliceWidth,
    Conv2dL1Full,
    Conv2dL1FullSliceConfig,
    Conv2dSliceConfig,
    Conv2dSliceType,
)
from .tensor import (
    deallocate,
    from_device,
    from_numpy,
    from_torch,
    get_memory_config,
    is_tensor_storage_on_device,
    permute,
    reshape,
    to_device,
    to_layout,
    to_memory_config,
    to_numpy,
    to_torch,
    typecast,
)
from .types import (
    DRAM_MEMORY_CONFIG,
    L1_MEMORY_CONFIG,
    ROW_MAJOR_LAYOUT,
    TILE_LAYOUT,
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
    bfloat4_b,
    bfloat8_b,
    bfloat16,
    float32,
    int32,
    uint16,
    uint32,
)
from .unary import UnaryOpType, UnaryWithParam

__version__ = "0.1.0"
