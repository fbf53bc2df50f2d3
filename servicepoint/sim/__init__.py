"""The branch simulator behind ``servicepoint simulate`` (see :mod:`servicepoint.sim.run`)."""
