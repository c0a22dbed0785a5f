"""The forecasting task family: ``module`` (the LightningModule), ``config`` (its data/model schemas, light),
``metrics`` (errors and naive baselines, light) and ``plot`` (the forecast figure). Importing this package
imports nothing."""
