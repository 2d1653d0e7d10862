"""Calibration: a CRM export in, a scenario fitted to it out, with a back-test.

Modules, in the order a calibration runs: :mod:`.crm` (reading and mapping the export),
:mod:`.estimate` (the estimate type and the likelihood intervals), :mod:`.leads` (lead arrivals),
:mod:`.cycle` (the censored sales cycle and stale deals), :mod:`.outcomes` (win rates, deal
sizes, segments), :mod:`.sellers` (owners), :mod:`.calibrate` (all of it, and the calibrated
scenario), :mod:`.backtest`, :mod:`.figures`, :mod:`.report` and :mod:`.writing` (the files);
:mod:`.synthetic` makes a CRM export from a simulated trace. The package root imports nothing:
import the modules themselves.
"""
