"""Package layout; everything else is in pyproject.toml.

The configs (conf/) and the embedded default data (data/) stay at the top of the checkout, where a run from
the repository or an editable install reads them; the wheel carries them inside the package as
seq2seq/_root/conf and seq2seq/_root/data (seq2seq/resources.py finds either). pyproject.toml cannot add
mapped packages to a `find` result, hence this file.
"""

from setuptools import find_namespace_packages, setup

BUNDLED = {"seq2seq._root.conf": "conf", "seq2seq._root.data": "data"}

setup(
    packages=find_namespace_packages(include=["seq2seq", "seq2seq.*"]) + list(BUNDLED),
    package_dir=BUNDLED,
)
