/* addr-test-util.h - endpoints for tests that build events by hand. */
#pragma once

#include <string.h>

#include "mailscope/ms-event.h"

/* 192.0.2.<last>:<port>, in the documentation range (RFC 5737). */
static inline void
ms_test_addr4 (MsAddr *a, guint8 last, guint16 port)
{
  memset (a, 0, sizeof *a);
  a->family = 4;
  a->addr[0] = 192;
  a->addr[1] = 0;
  a->addr[2] = 2;
  a->addr[3] = last;
  a->port = port;
}
