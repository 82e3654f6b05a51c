"""Messages to customers: one outbox for e-mail, WhatsApp and SMS (a kernel service).

It knows recipients, templates and channels, never customers or invoices: the apps build a
`Recipient` from their own data and hand it what to send (`services.message_queue`).
"""
