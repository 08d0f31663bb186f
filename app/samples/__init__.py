"""Spot-check samples (抽查): seeded, stratified, recorded draws of households."""
