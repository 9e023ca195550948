"""MNIST Lab's training library: plain Python + PyTorch, no Streamlit."""
