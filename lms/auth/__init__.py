"""Accounts, roles, login sessions and the permission guards other packages use."""
