# Models arrive with the inventory issue.
