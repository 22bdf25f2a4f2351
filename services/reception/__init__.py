"""Reception: appointments, check-in, estimates, repair orders, settlement and delivery."""
