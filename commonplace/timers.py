"""A timer whose interval is a setting: nameko's ``@timer`` takes a number when the service
class is written; this one reads ``setting`` from the configuration when the service starts.
"""
from nameko.timer import Timer


class ConfiguredTimer(Timer):
    def __init__(self, setting, eager=False, **kwargs):
        super().__init__(interval=None, eager=eager, **kwargs)
        self.setting = setting

    def setup(self):
        self.interval = float(self.container.config[self.setting])
        super().setup()


every = ConfiguredTimer.decorator
