"""Parts: catalogue, stock per station, reservations for jobs, goods receipts, reorder alerts."""
