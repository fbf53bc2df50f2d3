"""The pure queue domain: model, lifecycle, routing, wait estimates and KPIs.

Imports only the standard library (a test enforces it).
"""
