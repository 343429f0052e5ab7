"""Stand-in for the TT-Metal module of this path (shardwise.ttnn_compat)."""
