"""HTTP serving of one checkpoint: ``python -m seq2seq.serve`` (API, micro-batching, web page)."""
