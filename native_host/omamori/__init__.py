"""omamori: protects illustrators' images before they are posted on X."""

__version__ = "0.1.0"
