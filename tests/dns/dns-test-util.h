/* dns-test-util.h - helpers shared by the DNS tests: an emitter that
 * collects events, and the JSON form of event lists for comparisons. */
#pragma once

#include <glib.h>
#include "mailscope/ms-event.h"

typedef struct {
  MsEmitter emitter;
  GPtrArray *events;   /* of MsEvent*, owned */
} DnsCollect;

void       dns_collect_init (DnsCollect *col);
void       dns_collect_clear (DnsCollect *col);
/* One JSON line per collected event (ms_event_to_json; every member the
 * decoder sets, nothing stamped by a pipeline since none ran). */
GPtrArray *dns_collect_json (DnsCollect *col);
char      *dns_event_json (const MsEvent *ev);
/* The lines of `all` whose dir member is `dir`. */
GPtrArray *dns_json_by_dir (GPtrArray *all, const char *dir);
/* Fails the test, showing the first difference, unless a and b are equal. */
void       dns_assert_same_json (GPtrArray *a, GPtrArray *b);
