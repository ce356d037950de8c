"""``python -m ilner`` (also what ``accelerate launch -m ilner`` runs)."""

from ilner.cli import main

main()
