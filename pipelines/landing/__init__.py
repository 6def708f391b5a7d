"""Landing: department files into raw pool tables, with lineage and normalised keys."""
