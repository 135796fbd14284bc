"""Sub-commands of `vgv`; each module has add_arguments(parser) and run(args) -> exit code."""
