// The NBD protocol facts joot's client (reading qemu-storage-daemon's export) and server
// (exposing a userspace-decoded volume to the kernel through nbdfuse) share: the fixed
// newstyle handshake, NBD_OPT_GO and simple replies. From the NBD protocol document
// (github.com/NetworkBlockDevice/nbd, doc/proto.md). Big-endian throughout.

export const NBDMAGIC = 0x4e42444d41474943n; // "NBDMAGIC"
export const IHAVEOPT = 0x49484156454f5054n; // "IHAVEOPT"
export const OPTION_REPLY_MAGIC = 0x3e889045565a9n;

/** handshake flags (server → client, 16 bits) */
export const FLAG_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_NO_ZEROES = 1 << 1;
/** client flags (client → server, 32 bits) */
export const CLIENT_FLAG_FIXED_NEWSTYLE = 1 << 0;
export const CLIENT_FLAG_NO_ZEROES = 1 << 1;

/** options */
export const OPT_EXPORT_NAME = 1;
export const OPT_ABORT = 2;
export const OPT_LIST = 3;
export const OPT_INFO = 6;
export const OPT_GO = 7;
export const OPT_STRUCTURED_REPLY = 8;

/** option replies */
export const REP_ACK = 1;
export const REP_SERVER = 2;
export const REP_INFO = 3;
export const REP_FLAG_ERROR = 0x80000000;
export const REP_ERR_UNSUP = REP_FLAG_ERROR | 1;
export const REP_ERR_POLICY = REP_FLAG_ERROR | 2;
export const REP_ERR_INVALID = REP_FLAG_ERROR | 3;
export const REP_ERR_UNKNOWN = REP_FLAG_ERROR | 6;

/** NBD_INFO types inside REP_INFO */
export const INFO_EXPORT = 0;
export const INFO_NAME = 1;
export const INFO_DESCRIPTION = 2;
export const INFO_BLOCK_SIZE = 3;

/** transmission flags (16 bits) */
export const TFLAG_HAS_FLAGS = 1 << 0;
export const TFLAG_READ_ONLY = 1 << 1;
export const TFLAG_SEND_FLUSH = 1 << 2;
export const TFLAG_CAN_MULTI_CONN = 1 << 8;

/** requests and replies in transmission */
export const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;
export const CMD_READ = 0;
export const CMD_WRITE = 1;
export const CMD_DISC = 2;
export const CMD_FLUSH = 3;
export const CMD_TRIM = 4;
export const CMD_CACHE = 5;
export const CMD_WRITE_ZEROES = 6;
export const CMD_BLOCK_STATUS = 7;

/** errno values on the wire */
export const NBD_EPERM = 1;
export const NBD_EIO = 5;
export const NBD_ENOMEM = 12;
export const NBD_EINVAL = 22;
export const NBD_ENOSPC = 28;
export const NBD_ENOTSUP = 95;

/** sizes on the wire: an option header (magic, option, length), a request, a simple reply */
export const OPTION_HEADER = 16;
export const REQUEST_SIZE = 28;
export const SIMPLE_REPLY_SIZE = 16;

/** the most one request may ask for (qemu's and nbdkit's limit: 32 MiB) */
export const MAX_REQUEST = 32 * 1024 * 1024;
