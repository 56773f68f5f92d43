"""Neural network models."""
from stgkd.complexity import count_parameters
from stgkd.nn.stgcn import PRUNING_BASE_BLOCKS, STUDENT_BLOCKS, TEACHER_BLOCKS, STGCN, Hidden

__all__ = ["PRUNING_BASE_BLOCKS", "STUDENT_BLOCKS", "TEACHER_BLOCKS", "STGCN", "Hidden",
           "count_parameters"]
