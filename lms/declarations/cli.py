"""``lms declarations``: the year's rules, and verifying what was decided."""

from __future__ import annotations

import click

declarations_cli = click.Group("declarations", help="Declared hours: rules and verification.")
