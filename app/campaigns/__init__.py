"""Verification campaigns (自查 / 互查 / 整改): phases and dates, lot-drawn mutual-check teams, progress."""
