"""Tools that never run as a service: make run's stack, demo, bench, soak, CLIs, generators."""
