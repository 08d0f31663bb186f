"""一户一档: one household's dossier as a PDF, with its latest visit's photos and signatures."""
