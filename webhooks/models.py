# Models arrive with the webhooks issue.
