"""CRM: customer and vehicle files, visit history, follow-up calls and the audit of reads."""
