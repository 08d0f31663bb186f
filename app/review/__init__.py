"""Town verifiers' review (镇级审核): the queue, decisions, bulk approval and a visit's history."""
