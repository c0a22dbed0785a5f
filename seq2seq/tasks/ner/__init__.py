"""The NER (sequence tagging) task family, kind ``ner``: ``module`` (the LightningModule), ``config`` (its
data/model schemas, light) and ``metrics`` (entity-level scores, light). Importing this package imports
nothing."""
