"""The platform every aftersales service stands on.

Contracts, outbox/inbox, dead letters, service bootstrap, auth.
"""
