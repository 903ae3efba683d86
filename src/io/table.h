/* src/io/table.h: not written yet. */
