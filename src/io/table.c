/* src/io/table.c: not written yet. */
