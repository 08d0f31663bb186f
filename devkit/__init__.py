"""What tests, the demo, benchmarks and drills share: embedded servers, synthetic images and visits.

Not part of the product: the production image ships `app/` and `workers/` only.
"""
