"""One package per task family (``seq2seq/``, ``lm/``, ``ner/``, ``classify/``, ``forecast/``): its
LightningModule (``module``), its config schemas (``config``) and, where it has them, its metrics and plots;
``base`` is the shared BaseTask and ``seq2seq.registry`` names them all. Importing this package (or a
family's) imports nothing: a schema or metrics module must not pull in Lightning."""
