"""The web console: one desk per role, server-rendered, talking only to the five services."""
