"""The composition root: settings, the running Bosun, ``bosun up``, jobs, the home folder."""
