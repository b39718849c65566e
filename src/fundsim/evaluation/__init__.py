"""Forecasts judged out of sample: scores, rolling-origin backtests, the empirical band term."""
