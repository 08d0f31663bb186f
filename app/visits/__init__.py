"""Visits (入户核查): intake from phones, attachments, the state machine and its one owner (lifecycle)."""
