"""One module per CLI subcommand; each exposes ``register(subparsers)``.

A subcommand's handler takes the parsed ``argparse.Namespace`` and returns an exit code.
"""
