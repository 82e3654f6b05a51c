"""Tariffs, billing periods, the bill run and invoices (billing issue)."""
