"""What organisations' integrations get of the platform: the event feed, API keys, webhooks
(their rules, their store, the webhook sender and where a webhook may point)."""
