"""A timer whose interval is a setting: nameko's ``@timer`` takes a number when the service
class is written; this one reads ``setting`` from the configuration when the service starts.
"""
from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """Every ``setting`` seconds, or a ``fraction`` of that, but at most ``at_most`` seconds apart."""

    def __init__(self, setting, eager=False, fraction=1.0, at_most=None, **kwargs):
        super().__init__(interval=None, eager=eager, **kwargs)
        self.setting, self.fraction, self.at_most = setting, fraction, at_most

    def setup(self):
        self.interval = float(self.container.config[self.setting]) * self.fraction
        if self.at_most is not None:
            self.interval = min(self.interval, self.at_most)
        super().setup()


every = ConfiguredTimer.decorator
