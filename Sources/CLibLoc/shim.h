#ifndef CLIBLOC_SHIM_H
#define CLIBLOC_SHIM_H
// libloc's public API is callable from Swift as is: no shim functions needed.
#include <stdio.h>
#include <libloc/libloc.h>
#include <libloc/database.h>
#include <libloc/network.h>
#include <libloc/country.h>
#endif
