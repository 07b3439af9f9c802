// Caps on work driven by guest metadata, shared by every filesystem reader: a good image stays
// far below each; a hostile one hits the cap and gets a one-line EFORMAT instead of a hang or an
// allocation the size of its claims.

/** entries in one directory (the suite reads 100,000-entry directories) */
export const MAX_DIR_ENTRIES = 4_000_000;
/** extents (or runs, or chunk-tree items) of one file */
export const MAX_FILE_EXTENTS = 4_000_000;
/** depth of any on-disk tree (extent trees, B+trees, btrees, directory indexes) */
export const MAX_TREE_DEPTH = 16;
/** bytes of one symlink target (PATH_MAX) */
export const MAX_SYMLINK_BYTES = 4096;
/** bytes of all extended attributes of one inode */
export const MAX_XATTR_BYTES = 1024 * 1024;
/** decompressed bytes per compressed byte of one compressed unit */
export const MAX_COMPRESSION_RATIO = 1024;
/** bytes one read() call may ask for (callers stream larger files) */
export const MAX_READ_BYTES = 64 * 1024 * 1024;
/** metadata blocks one operation may visit (a directory loop, a cyclic tree) */
export const MAX_METADATA_VISITS = 1_000_000;
