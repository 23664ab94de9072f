"""Entry point for ``python -m fastlint``."""

from fastlint.cli import main

main()
