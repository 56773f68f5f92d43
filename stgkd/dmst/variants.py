"""The readings of the DMST-GNODE comparison beyond the pinned one, as experiment variants:
each scaling option (:mod:`stgkd.dmst.scaling`) for the cheap graph models and DMST-GNODE,
DMST-GNODE with each ST module, and DMST-GNODE's ablations
(:mod:`stgkd.nn.dmst_gnode`).

:func:`dmst_variants` lists them as ``(suffix, model, options, label)``; the registry
(:mod:`stgkd.registry`) names each ``dmst/<dataset>/<model>-<suffix>`` (e.g.
``dmst/losloop/st-gcn-zscore``, ``dmst/losloop/dmst-gnode-no-ode``) and keeps ``options``
as its :class:`~stgkd.registry.DMSTExperiment`'s, which :func:`stgkd.dmst.run.run_dmst` reads.
The pinned reading keeps its plain name (``dmst/losloop/st-gcn``).
"""
from __future__ import annotations

from stgkd.dmst.scaling import DEFAULT_SCALING, SCALINGS
from stgkd.nn.dmst_gnode import ABLATIONS, ST_MODULES

# the models whose scaling options are compared first (cheap), then DMST-GNODE
SCALING_MODELS: tuple[str, ...] = ("ST-GCN", "MST-GCN", "ST-NODE", "DMST-GNODE")
# the data sets the variants are registered for
VARIANT_DATASETS: tuple[str, ...] = ("losloop", "pemsd7m")


def dmst_variants() -> list[tuple[str, str, dict, str]]:
    """``(suffix, model, options, label)`` of every variant: ``label`` says what differs
    from the pinned reading. Every model has every scaling option: the graph models of
    :data:`SCALING_MODELS` compare them first, and all ten models then run under the one
    the validation MAE picks (:func:`stgkd.report.dmst_scaling.chosen_scaling`)."""
    from stgkd.dmst.models import MODELS
    variants = []
    for model in (*SCALING_MODELS, *(m for m in MODELS if m not in SCALING_MODELS)):
        for scaling, what in SCALINGS.items():
            if scaling != DEFAULT_SCALING:
                variants.append((scaling, model, {"scaling": scaling}, f"scaling: {what}"))
    for module, what in ST_MODULES.items():
        if module != "stgcn":
            variants.append((f"st-{module}", "DMST-GNODE", {"st_module": module},
                             f"ST module: {what}"))
    for part, what in ABLATIONS.items():
        variants.append((f"no-{part}", "DMST-GNODE", {"without": [part]}, f"ablation: {what}"))
    return variants
