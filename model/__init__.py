"""The ACU demand simulator engine: scenario -> simulation -> results."""
