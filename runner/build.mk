# runner/: nothing to build yet.
