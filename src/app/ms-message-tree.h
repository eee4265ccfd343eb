/* ms-message-tree.h - the rows of the message view from a scan: one row
 * per message, its MIME parts below it, each saying how much of it crossed
 * the wire ("transferred: 4.0 KiB of 276.6 KiB", "whole part", "not
 * downloaded"), then the downloads that carried it. */
#pragma once

#include "mailscope/ms-types.h"
#include "ms-message-node.h"
#include "ms-message-scan.h"

G_BEGIN_DECLS

/* Message rows (MsMessageNode) for the records of lesson steps up to
 * `reveal`, in the order the messages first appear. */
GPtrArray *ms_message_tree_build (MsMessageScan *scan, MsStep reveal);

/* "4.0 KiB": sizes in the units the view uses. */
char *ms_message_format_size (guint64 bytes);

G_END_DECLS
