"""The statistical audit of an index: coherence, uncertainty and sensitivity analysis."""
