"""Workshop: jobs of repair orders, parts for them, technicians, completion of the vehicle."""
