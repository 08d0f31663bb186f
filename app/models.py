"""Every Document the app stores, for index creation and test clean-up."""

ALL_DOCUMENTS: list = []
