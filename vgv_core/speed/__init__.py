"""`vgv bench`: explanation speed against the bare passes and against peer libraries."""
