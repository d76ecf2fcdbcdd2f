"""Running exported model versions: predictors, inference units with admission control, the registry."""
