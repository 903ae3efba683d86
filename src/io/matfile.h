/* ---------------------------------------------------------------------------
 * MATLAB MAT-file level 5 reader (MAT v5, v6 and v7; not v7.3).
 *
 * Follows MathWorks' "MAT-File Format" (level 5 MAT-files) and what
 * scipy.io.loadmat reads: the 128-byte header, tagged data elements
 * (including the small data element format), miMATRIX arrays of the numeric,
 * logical, char, cell, struct and object classes, and miCOMPRESSED (MAT v7)
 * elements, which need zlib (build with -DEEGNN_USE_ZLIB and link -lz).
 * MAT v7.3 files are HDF5 containers and are refused with a message on how to
 * convert them. Sparse matrices, function handles and opaque objects are read
 * as empty arrays.
 * ------------------------------------------------------------------------- */

/* MATLAB array classes (mxCLASS ids of the array flags). */
typedef enum eegnn_mat_class {
    EEGNN_MAT_CELL = 1,
    EEGNN_MAT_STRUCT = 2,
    EEGNN_MAT_OBJECT = 3,
    EEGNN_MAT_CHAR = 4,
    EEGNN_MAT_SPARSE = 5,
    EEGNN_MAT_DOUBLE = 6,
    EEGNN_MAT_SINGLE = 7,
    EEGNN_MAT_INT8 = 8,
    EEGNN_MAT_UINT8 = 9,
    EEGNN_MAT_INT16 = 10,
    EEGNN_MAT_UINT16 = 11,
    EEGNN_MAT_INT32 = 12,
    EEGNN_MAT_UINT32 = 13,
    EEGNN_MAT_INT64 = 14,
    EEGNN_MAT_UINT64 = 15
} eegnn_mat_class;

/* One MATLAB array. Elements are in MATLAB's column-major order. */
typedef struct eegnn_mat_value {
    char *name;     /* variable or element name ("" inside cells/structs) */
    int mx_class;   /* eegnn_mat_class (0 for skipped classes: sparse, function, opaque) */
    int is_logical; /* 1 for logical arrays (stored as numeric 0/1) */
    int data_type;  /* numeric: miINT8 (1) ... miUINT64 (13), the type the values were stored as
                     * (MATLAB writes whole doubles as the smallest integer type that holds them;
                     * scipy.io.loadmat(mat_dtype=False) returns that type) */
    int ndims;
    int64_t *dims;                  /* (ndims) */
    int64_t n;                      /* number of elements: product of dims */
    double *re;                     /* numeric/logical classes: (n) real parts converted to double */
    char *str;                      /* char class: the characters as UTF-8 (column-major order) */
    int n_fields;                   /* struct/object: field count */
    char **fields;                  /* struct/object: (n_fields) field names */
    struct eegnn_mat_value **items; /* cell: (n); struct/object: (n * n_fields), element-major */
} eegnn_mat_value;

/* All top-level variables of a MAT-file. */
typedef struct eegnn_mat_file {
    char *path;
    char header[117]; /* descriptive text of the header, trailing blanks removed */
    int n_vars;
    eegnn_mat_value **vars;
} eegnn_mat_file;

/* Reads a whole level 5 MAT-file. Returns NULL with eegnn_last_error()
 * naming the file and the problem for: files that are not level 5 MAT-files
 * (too short, bad version or endian indicator), MAT v7.3 (HDF5) files (the
 * message tells how to save as v7), compressed elements in a build without
 * EEGNN_USE_ZLIB, and any length, dimension or nesting that does not fit in
 * the file. Thread safety: reentrant. */
EEGNN_API eegnn_mat_file *eegnn_mat_read(const char *path);
/* Frees a MAT-file and all its values. NULL is allowed. */
EEGNN_API void eegnn_mat_free(eegnn_mat_file *mf);
/* Top-level variable by name, or NULL. */
EEGNN_API const eegnn_mat_value *eegnn_mat_var(const eegnn_mat_file *mf, const char *name);
/* Field `name` of struct element `index` (0-based, column-major), or NULL when
 * v is not a struct/object, index is out of range or the field is absent. */
EEGNN_API const eegnn_mat_value *eegnn_mat_field(const eegnn_mat_value *v, int64_t index, const char *name);
