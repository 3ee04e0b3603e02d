"""The metrics service: pure KPIs (office hours, ledger, spikes), the faust worker, state in Redis."""
