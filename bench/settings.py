"""The product's settings with the benchmark's URLs on top, for the load run
only: the bare view it compares against is reachable nowhere else."""

from csrtool.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
