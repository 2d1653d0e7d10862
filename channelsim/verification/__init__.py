"""Verification: the model against theory, the table behind ``docs/validation.md``.

Each check builds a small scenario whose answer is known in closed form (:mod:`.checks`),
simulates it over independent replications and judges the simulated interval against the
theoretical value (:mod:`.framework`); :mod:`.report` runs them all and writes the page
(``python -m channelsim.verification``). Not to be confused with ``channelsim validate``, which
checks a scenario file.
"""
