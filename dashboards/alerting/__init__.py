"""Alert rules, the alert inbox and deliveries (emails and webhooks through an outbox)."""
