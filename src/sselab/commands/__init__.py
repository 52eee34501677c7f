"""CLI sub-commands: one module per command group, each exposing ``register(app)``.

Modules are listed in :data:`COMMAND_MODULES`; ``sselab.cli`` imports each and calls ``register``.  Keep imports of
heavy analysis code inside the command functions so ``sselab --help`` stays fast.
"""

COMMAND_MODULES = (
    "info",
    "eis",
    "arrhenius",
    "dcpol",
    "cv",
    "cycle",
    "materials",
    "design",
    "report",
    "structure",
    "app",
    "store",
)
