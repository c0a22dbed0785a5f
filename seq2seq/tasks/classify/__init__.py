"""The classification task family: ``module`` (the LightningModule), ``config`` (its data/model schemas,
light) and ``metrics`` (accuracy, F1, confusion matrix; light). Importing this package imports nothing."""
