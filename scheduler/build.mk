# scheduler/: nothing to build yet.
