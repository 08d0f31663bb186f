"""Administrative areas (省/市/县/镇/村/屯): official codes and the ancestor path used for scoping."""
