"""Opening and closing device models."""

import contextlib

from ._shardwise import CoreCoord, Device


def open_device(arch="wormhole_b0", device_id=0, l1_size=None, grid=None, dprint_cores=None, dprint_dir="", watcher=None):
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
    """
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
