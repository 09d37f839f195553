"""Managing people: a unit's roster and activations, bulk import, staff accounts and roles."""
