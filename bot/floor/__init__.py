"""The live floor: a model of today's floor kept by one poller, and the source answers read.

model    FloorModel: every agent's rows since the origin (compact) and live status; pure
view     read_model: a FloorRead over the model as it was when read
poller   Poller: include=Processed from the upTo cursor, status every cycle; a Service
tiered   FloorSource: today from the model, older windows from VCC (cached)
"""

from bot.floor.model import FloorModel
from bot.floor.poller import Poller, model_origin
from bot.floor.tiered import FloorSource
from bot.floor.view import read_model

__all__ = ["FloorModel", "FloorSource", "Poller", "model_origin", "read_model"]
