/* ---------------------------------------------------------------------------
 * Tables and JSON: the two text formats of BIDS metadata.
 *
 * TSV follows the BIDS specification ("Tabular files"): tab-separated
 * values, a header row naming the columns, `n/a` for a missing value, UTF-8
 * (a leading byte-order mark is skipped). CRLF line ends are accepted and a
 * final newline is optional. Empty cells are read as missing too. A row with
 * a different number of cells than the header is an error naming the file
 * and the line. JSON follows RFC 8259 (objects, arrays, strings with escapes
 * and \uXXXX including surrogate pairs, numbers, true/false/null); a syntax
 * error names the file and the byte offset.
 * ------------------------------------------------------------------------- */

typedef struct eegnn_table {
    char *path;     /* file the table was read from */
    int n_rows;     /* data rows (header excluded) */
    int n_cols;     /* columns */
    char **columns; /* (n_cols) header names */
    char **cells;   /* (n_rows * n_cols) row-major; NULL where the value is missing */
} eegnn_table;

/* Reads a BIDS TSV file (participants.tsv, *_events.tsv, *_channels.tsv).
 * Returns NULL with eegnn_last_error() naming the file (and line for a
 * malformed row: "x.tsv: line 4 has 2 cells, the header has 3") on failure.
 * Free with eegnn_table_free. Thread safety: reentrant. */
EEGNN_API eegnn_table *eegnn_table_read_tsv(const char *path);

/* Parses TSV text held in memory; `name` is used in error messages. */
EEGNN_API eegnn_table *eegnn_table_parse_tsv(const char *text, size_t len, const char *name);

/* Frees a table. NULL is allowed. */
EEGNN_API void eegnn_table_free(eegnn_table *table);

/* Index of the column with this exact header name, or -1. */
EEGNN_API int eegnn_table_column(const eegnn_table *table, const char *name);

/* Cell text, or NULL when the value is missing (`n/a` or empty) or the
 * row/column is out of range. */
EEGNN_API const char *eegnn_table_cell(const eegnn_table *table, int row, int col);

/* Number of missing cells in a column. */
EEGNN_API int eegnn_table_missing_count(const eegnn_table *table, int col);

/* 1 when every non-missing cell of the column parses as a decimal number
 * (C strtod syntax without hexadecimal forms; "nan"/"inf" are numbers as in
 * pandas.read_csv), 0 otherwise. A column with only missing values counts
 * as numeric. */
EEGNN_API int eegnn_table_column_is_numeric(const eegnn_table *table, int col);

/* Numeric values of a column: out (n_rows) gets the number of each row, NaN
 * where the value is missing. Errors: EEGNN_ERR_FORMAT naming the file, line
 * and column at the first cell that is not a number; EEGNN_ERR_ARG for a bad
 * column index. */
EEGNN_API eegnn_status eegnn_table_column_numeric(const eegnn_table *table, int col, double *out);

/* Categorical levels of a column: the distinct non-missing values sorted by
 * byte order (strcmp), as numpy.unique / sklearn LabelEncoder sort strings.
 * *levels gets an array of n pointers into the table's own cells (valid while
 * the table lives); free the array with eegnn_free. Returns n (>= 0), or -1
 * on allocation failure or a bad column. */
EEGNN_API int eegnn_table_column_levels(const eegnn_table *table, int col, const char ***levels);

/* ---- JSON -------------------------------------------------------------- */

typedef enum eegnn_json_type {
    EEGNN_JSON_NULL = 0,
    EEGNN_JSON_BOOL = 1,
    EEGNN_JSON_NUMBER = 2,
    EEGNN_JSON_STRING = 3,
    EEGNN_JSON_ARRAY = 4,
    EEGNN_JSON_OBJECT = 5
} eegnn_json_type;

typedef struct eegnn_json {
    eegnn_json_type type;
    double number;            /* NUMBER value; BOOL as 0 or 1 */
    char *string;             /* STRING value, UTF-8, NUL-terminated */
    int n;                    /* ARRAY / OBJECT: number of items */
    char **keys;              /* OBJECT: (n) keys, in file order */
    struct eegnn_json *items; /* ARRAY / OBJECT: (n) values */
} eegnn_json;

/* Reads and parses a JSON file (a BIDS sidecar, dataset_description.json).
 * Returns NULL with an error naming the file and byte offset ("x.json: byte
 * 41: expected ',' or '}' in object") on failure. Free with eegnn_json_free.
 * Nesting deeper than 512 levels is refused. Thread safety: reentrant. */
EEGNN_API eegnn_json *eegnn_json_read(const char *path);

/* Parses JSON text held in memory; `name` is used in error messages. */
EEGNN_API eegnn_json *eegnn_json_parse(const char *text, size_t len, const char *name);

/* Frees a parsed document. NULL is allowed. */
EEGNN_API void eegnn_json_free(eegnn_json *doc);

/* Member of an object by key (the last one when a key repeats, as Python's
 * json module does), or NULL when obj is not an object or has no such key. */
EEGNN_API const eegnn_json *eegnn_json_get(const eegnn_json *obj, const char *key);

/* Number member: EEGNN_OK and *out set; EEGNN_ERR_NOT_FOUND when absent or
 * null; EEGNN_ERR_FORMAT when the member is not a number. */
EEGNN_API eegnn_status eegnn_json_get_number(const eegnn_json *obj, const char *key, double *out);

/* String member, or NULL when absent or not a string. */
EEGNN_API const char *eegnn_json_get_string(const eegnn_json *obj, const char *key);
