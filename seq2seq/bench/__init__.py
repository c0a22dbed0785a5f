"""``python -m seq2seq.bench``: training and decoding speed of the framework, measured in the same run
against a hand-written PyTorch loop of the same model trained on the same batches (``reference``)."""
