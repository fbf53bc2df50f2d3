"""The staff terminal: call, serve, transfer and park customers at a counter."""
