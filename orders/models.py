# Models arrive with the orders issue.
