"""What people are told: who hears of which event (the rules), their inboxes and preferences,
what the service knows of people and workshops to word it, and email (the sender, templates)."""
