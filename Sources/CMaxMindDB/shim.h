#ifndef CMAXMINDDB_SHIM_H
#define CMAXMINDDB_SHIM_H
// No shim functions: the variadic MMDB_get_value is replaced by MMDB_aget_value,
// which takes the path as a NULL-terminated array and is callable from Swift.
#include <maxminddb.h>
#endif
