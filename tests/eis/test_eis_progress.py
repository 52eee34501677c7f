"""fit_batch reports progress as it goes (per guess block and LM chunk), not only at the end."""
import numpy as np

from sselab.eis import Circuit, fit_batch


def test_progress_is_monotonic_and_incremental():
    rng = np.random.default_rng(7)
    c = Circuit("R0-p(R1,CPE1)-CPE2")
    f = np.logspace(7, 0.7, 50)
    spectra = []
    for R1 in np.logspace(3, 5, 200):
        z = c.impedance(f, {"R0": 20.0, "R1": R1, "CPE1_Q": 3e-11, "CPE1_alpha": 0.9,
                            "CPE2_Q": 1e-6, "CPE2_alpha": 0.85})
        spectra.append((f, z * (1 + 0.005 * rng.standard_normal(f.size))))
    calls = []
    res = fit_batch(spectra, c, warm_start=True, progress=lambda done, total: calls.append((done, total)))
    done = [d for d, _ in calls]
    assert all(t == 200 for _, t in calls)
    assert done == sorted(done) and done[-1] == 200
    assert len(set(done)) >= 4            # several intermediate updates, not just "half" and "done"
    assert all(r.success for r in res)
