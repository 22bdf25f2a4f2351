"""The platform every aftersales service stands on: contracts, outbox/inbox, DLQ, bootstrap, auth."""
