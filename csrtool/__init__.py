"""csrtool: the CSR tool that onboards enterprise customers onto CX Builder."""

__version__ = "0.1.0"
