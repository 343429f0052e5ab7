"""Opening and closing device models."""

import contextlib

from ._shardwise import CoreCoord, Device
from .memory import CoreGrid


def open_device(arch="wormhole_b0", device_id=0, l1_size=None, grid=None, dprint_cores=None, dprint_dir="", watcher=None,
                l1_small_size=None, trace_region_size=None, num_command_queues=None, dispatch_core_config=None,
                worker_l1_size=None):
    """Opens a device model, as ttnn.open_device.

    arch: "wormhole_b0" (8x8 cores, 12 DRAM banks), "blackhole" (13x10, 8 banks) or
        "host" (one core per host thread, L1 sized like a core's L2 cache).
    device_id: accepted for TT-NN compatibility; every call opens a new model.
    l1_size: bytes of L1 per core, overriding the preset.
    grid: (x, y) compute grid, overriding the preset.
    dprint_cores: kernel prints (DPRINT) from these cores (CoreCoord or (x, y)).
    dprint_dir: write the prints to one file per core and kernel role in this folder.
    watcher: True/False checks every kernel memory access against the chip's rules (as
        TT_METAL_WATCHER); None: the SHARDWISE_WATCHER environment variable if set, else
        on for the chip presets and off for "host". Off, accesses still stay inside the
        device's memory.
    l1_small_size, trace_region_size, num_command_queues, dispatch_core_config,
        worker_l1_size: TT-NN's keywords, checked and accepted; the model runs without
        traces or command queues, and keeps the preset's L1_SMALL region (the conv
        places nothing there that a larger one would change).
    """
    for name, value in (("l1_small_size", l1_small_size), ("trace_region_size", trace_region_size),
                        ("num_command_queues", num_command_queues), ("worker_l1_size", worker_l1_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"{name} {value!r} must be a non-negative int (or None)")
    del dispatch_core_config
    if watcher is not None and not isinstance(watcher, bool):
        raise ValueError(f"watcher {watcher!r} must be True, False or None")
    if not isinstance(device_id, int) or device_id < 0:
        raise ValueError(f"device_id {device_id!r} must be a non-negative int")
    cores = [c if isinstance(c, CoreCoord) else CoreCoord(*c) for c in (dprint_cores or [])]
    if l1_size is not None and (isinstance(l1_size, bool) or not isinstance(l1_size, int) or not 1 <= l1_size <= 2**30):
        raise ValueError(f"l1_size {l1_size!r} must be an int between 1 and 2**30 bytes (or None for the preset's)")
    if grid is not None:
        grid = tuple(grid)
        if len(grid) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 64 for v in grid):
            raise ValueError(f"grid {grid!r} must be (x, y) with ints between 1 and 64")
    return Device(arch, l1_size, grid, cores, dprint_dir, watcher)


def close_device(device):
    """Closes a device: its memory is freed and its tensors can no longer be read."""
    if not isinstance(device, Device):
        raise ValueError(f"close_device expects a shardwise Device, got {type(device).__name__}")
    device.close()


@contextlib.contextmanager
def manage_device(arch="wormhole_b0", **kwargs):
    """`with manage_device("wormhole_b0") as device:` opens a device and closes it after."""
    device = open_device(arch, **kwargs)
    try:
        yield device
    finally:
        device.close()


# TT-NN opens one chip or a mesh of them; a device model is a mesh of one: tests that
# ask `isinstance(device, ttnn.MeshDevice)` and `device.get_device_ids()` see one device.
MeshDevice = Device
Device.get_device_ids = lambda self: [0]


def get_device_ids():
    """The ids of the devices there are to open, as ttnn.get_device_ids(): one model, [0]."""
    return [0]
Device.get_num_devices = lambda self: 1
Device.core_grid = property(
    lambda self: CoreGrid(y=self.compute_with_storage_grid_size().y, x=self.compute_with_storage_grid_size().x),
    doc="The compute grid as CoreGrid(y=rows, x=columns), as ttnn's device.core_grid.")


def synchronize_device(device, cq_id=None, sub_device_ids=None):
    """Waits for the device's work, as ttnn.synchronize_device: a device model runs each
    op to completion before returning, so this only checks the device is open."""
    del cq_id, sub_device_ids
    if not isinstance(device, Device):
        raise ValueError(f"synchronize_device expects a shardwise Device, got {type(device).__name__}")
    if not device.is_open:
        raise ValueError("synchronize_device: the device is closed")
