"""Stand-in for TT-Metal's tests.ttnn.utils_for_testing: the PCC helpers, shardwise's."""
from shardwise import assert_equal, assert_with_pcc, check_with_pcc_without_tensor_printout, comp_pcc  # noqa: F401


def check_with_pcc(expected_pytorch_result, actual_pytorch_result, pcc=0.9999):
    """(passed, message), as TT-NN's helper (which also prints the tensors)."""
    return check_with_pcc_without_tensor_printout(expected_pytorch_result, actual_pytorch_result, pcc)
