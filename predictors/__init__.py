"""Failure-risk models: features from readings and fault history, XGBoost, registry, scoring."""
