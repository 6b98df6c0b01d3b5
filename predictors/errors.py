"""Errors raised by the predictors, each with a stable code and a next step."""

from __future__ import annotations


class PredictorError(Exception):
    """Base of every predictors error; `code` is stable for API and chat replies."""

    code = "predictor_error"


class FrameSchemaError(PredictorError):
    """A data frame lacks a column or holds values of the wrong kind."""

    code = "predictor_frame_schema"


class InsufficientDataError(PredictorError):
    """There is too little history (samples, failures or sensors) to train a useful model."""

    code = "predictor_insufficient_data"

    def __init__(
        self,
        message: str,
        *,
        n_samples: int = 0,
        n_positive: int | None = None,
        required: dict[str, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.n_samples = n_samples
        self.n_positive = n_positive
        self.required = dict(required or {})


class ModelArtifactError(PredictorError):
    """A saved model or its metadata cannot be read or does not fit the data."""

    code = "predictor_model_artifact"
