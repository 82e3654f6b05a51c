"""Late fees, reminders and disconnection steps (arrears issue)."""
