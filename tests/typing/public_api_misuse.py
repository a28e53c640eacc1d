"""Misuses of the public API that a type checker must refuse (tests/test_typing.py expects
exactly these errors): it proves the check reads the package's types, not Any."""

import fintech_index as fi


def misuse() -> None:
    fi.load_framework(3.5)  # a number is not a path
    res = fi.examples.load("tai").build()
    res.no_such_method()  # Results has no such attribute
