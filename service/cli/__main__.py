"""`python -m service.cli`: the `motcua` command (the runner of `motcua serve` is started so)."""

from . import main

main()
