"""`import ttnn` in a TT-NN test run through shardwise.ttnn_compat: shardwise itself,
with its `operations.activations` as `ttnn.operations.activations`."""
import sys

import shardwise
import shardwise.operations
import shardwise.operations.activations

sys.modules[__name__] = shardwise
sys.modules[__name__ + ".operations"] = shardwise.operations
sys.modules[__name__ + ".operations.activations"] = shardwise.operations.activations
