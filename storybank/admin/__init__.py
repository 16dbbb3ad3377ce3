"""Admin pages: users and roles, sites, and the audit log."""
