# Models arrive with the returns issue.
