"""Running exported model versions: ONNX Runtime predictors, inference units with admission control, and the registry of started models."""
