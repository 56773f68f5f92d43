"""stgkd: spatio-temporal graph networks for traffic forecasting, distilled and pruned."""
__version__ = "0.1.0"
