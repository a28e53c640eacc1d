"""The Global Fintech Center Development Index itself, built on the engine: its frameworks
and data (``editions``), counts from institution-level records (``counts``), districts data
(``districts``), white-paper sections (``paper``) and the main job (``job``). Nothing below
this package names a fintech indicator or data file; ``fi.examples.load("fintech")``
delegates here."""

from .editions import EDITION_YEARS, NAME, Editions, folder, load_editions

__all__ = ["EDITION_YEARS", "NAME", "Editions", "folder", "load_editions"]
