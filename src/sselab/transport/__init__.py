"""Ion transport: Arrhenius analysis (:mod:`.arrhenius`) and DC polarisation (:mod:`.polarization`).

Import the submodules directly (``from sselab.transport.arrhenius import fit_arrhenius``); this package keeps no
eager imports so each can be developed and loaded independently.
"""
