"""Training modules (LightningModules) of the task kinds and their config schemas; ``seq2seq.registry``
names them. Importing this package imports nothing: a schema module must not pull in Lightning."""
