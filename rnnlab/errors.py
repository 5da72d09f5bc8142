"""Typed errors whose messages are written for people: what was wrong and what to do."""


class RnnlabError(Exception):
    """Base class of every error rnnlab raises on purpose."""


class ConfigError(RnnlabError, ValueError):
    """A setting is out of range or inconsistent with another one."""


class DataError(RnnlabError, ValueError):
    """The data cannot be used as given (bad CSV, too short, not numeric, ...)."""
