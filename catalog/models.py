# Products, channel SKU aliases and kits arrive with the catalog issue.
