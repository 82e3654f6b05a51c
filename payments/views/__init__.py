"""Payment views, one module per audience: the public bill check and customer accounts
(`public`, `account`), online payments (`online`), the cashier desk (`cashier`), receipts
(`receipts`) and the staff review page (`review`)."""
