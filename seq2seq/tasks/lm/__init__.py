"""The language-model task family: ``module`` (the LightningModule) and ``config`` (its data/model schemas,
light). Importing this package imports nothing."""
