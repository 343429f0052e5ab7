"""Stand-in for the TT-Metal module TT-NN's conv tests import an L1_SMALL size from.
The value is only of the right kind (TT-Metal's own may differ): the device model
accepts any l1_small_size and keeps its preset's L1_SMALL region."""
PDL_L1_SMALL_SIZE = 32 * 1024
