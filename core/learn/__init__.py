"""The learning library: data, models, losses, optimizers, the training loop and what it measures."""
