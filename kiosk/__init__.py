"""The customer touchscreen: pick a service, get a numbered ticket."""
