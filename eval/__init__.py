"""Quality evaluations: retrieval, assistant turns, predictors."""
