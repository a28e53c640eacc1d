"""One exception family for everything the package raises on bad input or bad choices.

Every message says what was wrong, where (file, row, column, node, field) and what would
be accepted.
"""


class FintechIndexError(Exception):
    """Base of every error the package raises deliberately."""


class FrameworkError(FintechIndexError):
    """The index tree (framework YAML) is malformed."""


class DataError(FintechIndexError):
    """A data file (panel, records) cannot be read as given."""


class MethodologyError(FintechIndexError):
    """A methodology names an unknown method, node or parameter."""


class MethodError(FintechIndexError):
    """A method cannot be applied to the data it was given (e.g. log of a negative value)."""


class StoreError(FintechIndexError):
    """The store refused an operation (an edition published twice, an unknown edition...)."""
