# guest/: nothing to build yet.
