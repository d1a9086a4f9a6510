"""``python -m autograph``: the same as the ``autograph`` command."""

from autograph.cli import main

main()
