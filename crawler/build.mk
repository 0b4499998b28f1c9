# crawler/: nothing to build yet.
