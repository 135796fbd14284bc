"""Exceptions the library raises for bad input.

Each message says what was wrong and what to do; the command lines print it as one
line on stderr. All derive from VGVError so callers can catch the family at once.
"""


class VGVError(Exception):
    """Base class of every error caused by the user's input."""


class ClipError(VGVError, ValueError):
    """The clip tensor has the wrong rank, channel count or length."""


class ModelError(VGVError, ValueError):
    """Unknown architecture, bad model spec or unusable target layer."""


class CheckpointError(VGVError):
    """A checkpoint file is missing, is not a weights file, or does not fit the model."""


class MethodError(VGVError, ValueError):
    """An explanation method name that the engine does not know."""


class TargetError(VGVError, ValueError):
    """A target class that is out of range or of an unsupported form."""


class VideoError(VGVError):
    """A video file or stream cannot be opened, decoded or written."""


class WriteError(VGVError):
    """An output could not be written: the disk is full, the file system failed, a writer died.
    Its message names the file; the command lines end with their write-error code."""


class MissingExtraError(VGVError):
    """An optional integration is not installed; the message names the extra to install
    (``pip install 'videogradvis-live[EXTRA]'``). The command lines exit 2, as for bad input."""
