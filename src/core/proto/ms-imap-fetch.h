/* ms-imap-fetch.h - FETCH item interpretation and BODYSTRUCTURE to MIME
 * part tree.
 * Internal to the IMAP decoder (ms-imap.c). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "mailscope/ms-event.h"
#include "ms-imap-tokens.h"

G_BEGIN_DECLS

/* Parts kept of one structure; real messages have a few dozen at most,
 * and the cap bounds the memory of remembered structures. */
#define MS_IMAP_MAX_PARTS 256

/* Messages (structure, size) remembered per connection to describe later
 * partial fetches; the oldest is forgotten first (a listing fetches many). */
#define MS_IMAP_MAX_STRUCTURES 128

/* Client FETCH items (an atom or a list): appends each item, upper case, to
 * `items`; returns TRUE when any item moves message content. */
gboolean ms_imap_fetch_items (const MsImapTok *tok, JsonArray *items);
/* Does this item (e.g. "BODY.PEEK[2]<0.4096>") move content? */
gboolean ms_imap_fetch_item_moves_content (const char *item);

/* BODYSTRUCTURE / BODY value to a part tree (see doc/events.md), or NULL
 * when it is not a body. */
JsonNode *ms_imap_body_to_parts (const MsImapTok *body);

/* What the connection knows about message structures. */
typedef struct _MsImapStructures MsImapStructures;
MsImapStructures *ms_imap_structures_new (void);
void ms_imap_structures_free (MsImapStructures *st);
/* Forgets everything (a new mailbox was selected). */
void ms_imap_structures_clear (MsImapStructures *st);
/* Forgets structures keyed by message number (numbers shift on EXPUNGE). */
void ms_imap_structures_forget_numbers (MsImapStructures *st);

/* Interprets the msg-att list of "* n FETCH (…)" and adds to ev: `parts`,
 * `content_bytes`, `section_info`, `message_uid`. Remembers structures in
 * st and describes content sections with them. */
void ms_imap_fetch_response (MsImapStructures *st, gint64 number,
                             const MsImapTok *list, MsEvent *ev);

/* Writes n with digits grouped by commas ("204,800") into buf. */
char *ms_imap_format_grouped (guint64 n, char *buf, gsize size);

G_END_DECLS
