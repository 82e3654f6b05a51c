"""Payments: online (Midtrans) and at the cashier desk (payments issues)."""
