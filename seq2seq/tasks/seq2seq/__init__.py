"""The seq2seq task family (translation; chatbot reuses it): ``module`` (the LightningModule), ``config``
(its data/model schemas, light) and ``metrics`` (text metrics, light). Importing this package imports
nothing."""
