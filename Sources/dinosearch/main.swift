import DinoSearch; print(probe())
