"""``python -m servicepoint`` runs the CLI."""
from servicepoint.cli import main

main()
