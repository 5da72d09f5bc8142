"""rnnlab: a playground engine for recurrent neural networks on time series.

The engine never imports streamlit: everything here runs from scripts, tests and the CLI.
"""
from rnnlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnlab.errors import ConfigError, DataError, RnnlabError

__all__ = ["DataConfig", "ModelConfig", "TrainConfig", "RunConfig",
           "ConfigError", "DataError", "RnnlabError"]
__version__ = "0.1.0"
