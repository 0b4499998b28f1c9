# reporter/: nothing to build yet.
