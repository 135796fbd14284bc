"""Explaining recorded videos offline: windows, fusion, pipeline and output files."""
