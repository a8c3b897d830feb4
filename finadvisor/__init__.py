"""finadvisor: a multimodal, multi-turn financial advisory dialogue system."""

__version__ = "0.1.0"
