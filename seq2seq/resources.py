"""Where the configs (``conf/``) and the embedded default data (``data/``) are, and the resolvers naming them.

In a checkout (running from the repository, or an editable install) they are the top-level ``conf/`` and
``data/``. A wheel carries the same files inside the package, as ``seq2seq/_root/conf`` and
``seq2seq/_root/data`` (``setup.py`` maps them there), so an installed ``seq2seq`` works from any directory.
A leaf module: it imports nothing of the package.
"""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

_PACKAGE = Path(__file__).resolve().parent
# The wheel's copy of conf/ and data/ (see setup.py); absent in a checkout.
_BUNDLED_ROOT = _PACKAGE / "_root"


def project_root() -> str:
    """The directory holding ``conf/`` and ``data/``: the package's bundled copy if installed from a wheel,
    else the checkout above the package. Checked in that order: a site-packages directory may hold some other
    distribution's top-level ``conf/``."""
    if (_BUNDLED_ROOT / "conf").is_dir():
        return str(_BUNDLED_ROOT)
    return str(_PACKAGE.parent)


def config_dir() -> str:
    """The absolute primary config directory of every ``@hydra.main`` (Hydra puts it first on its search path)."""
    return str(Path(project_root()) / "conf")


def help_config_groups() -> str:
    """``--help``'s group list: the groups of the entry config's defaults list, each with its options.

    Hydra's ``$APP_CONFIG_GROUPS`` lists every folder of the config directory, so ``predict --help`` would
    offer ``model=`` or ``optim=``, which predict refuses. Used by ``conf/hydra/help/command.yaml``; Hydra
    sets its config (with ``runtime.choices``) before it renders the help.
    """
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig

    loader = GlobalHydra.instance().config_loader()
    # schema/<section>: the nodes the presets extend (seq2seq.hydra_schemas), not something to choose.
    groups = sorted(g for g in HydraConfig.get().runtime.choices
                    if g != "hydra" and not g.startswith(("hydra/", "schema/")))
    return "\n".join(f"{g}: {', '.join(loader.get_group_options(g))}" for g in groups)


if not OmegaConf.has_resolver("seq2seq_root"):
    OmegaConf.register_new_resolver("seq2seq_root", project_root)
if not OmegaConf.has_resolver("seq2seq_help_groups"):
    OmegaConf.register_new_resolver("seq2seq_help_groups", help_config_groups)
